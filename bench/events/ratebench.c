// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ratebench, user half as a wasm32-wasi guest of wbpf: loads ratebench.bpf.o filtered to the
 * generator's pid, prints a READY line once attached, runs rate_consume() on every record until
 * SIGINT/SIGTERM, then prints one summary line with the BPF side's counters.
 *
 *   wbpf run ratebench.wasm -p PID [-l]     -l: 1 KiB records (default 64 B)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratebench.h"
#include "ratebench.skel.h"

static int on_record(void* ctx, void* data, size_t size) {
    rate_consume((struct rate_totals*)ctx, data, size);
    return 0;
}

int main(int argc, char** argv) {
    unsigned long pid = 0;
    int large = 0;
    int c;
    while ((c = getopt(argc, argv, "p:l")) != -1) {
        switch (c) {
        case 'p': pid = strtoul(optarg, NULL, 10); break;
        case 'l': large = 1; break;
        default: fprintf(stderr, "usage: ratebench -p PID [-l]\n"); return 1;
        }
    }
    if (pid == 0) {
        fprintf(stderr, "ratebench: -p PID is required\n");
        return 1;
    }

    struct ratebench_bpf* skel = ratebench_bpf__open();
    if (!skel) {
        fprintf(stderr, "ratebench: open failed: %s\n", strerror(errno));
        return 1;
    }
    skel->rodata->target_tgid = (uint32_t)pid;
    skel->rodata->large = large;

    static struct rate_totals totals;
    struct bpf_buffer* buffer = NULL;
    int err = ratebench_bpf__load(skel);
    if (!err) err = ratebench_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "ratebench: load/attach failed: %s\n", strerror(-err));
        goto cleanup;
    }
    buffer = bpf_buffer__new_with_size(skel->maps.rb, RATE_RECORD_LARGE);
    if (!buffer || bpf_buffer__open(buffer, on_record, &totals) != 0) {
        err = -errno;
        fprintf(stderr, "ratebench: ring buffer setup failed: %s\n", strerror(errno));
        goto cleanup;
    }
    printf("READY\n");
    fflush(stdout);
    for (;;) {
        err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err == -EINTR) {
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "ratebench: poll failed: %s\n", strerror(-err));
            goto cleanup;
        }
    }

    struct rate_stats stats = {0, 0};
    uint32_t key = 0;
    err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &key, &stats);
    if (err) fprintf(stderr, "ratebench: reading stats failed: %s\n", strerror(-err));
    printf("received=%llu attempts=%llu dropped=%llu gaps=%llu bad=%llu checksum=%016llx\n",
           (unsigned long long)totals.received, (unsigned long long)stats.attempts,
           (unsigned long long)stats.dropped, (unsigned long long)totals.gaps,
           (unsigned long long)totals.bad, (unsigned long long)totals.checksum);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    ratebench_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
