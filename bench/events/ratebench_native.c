// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ratebench's native libbpf twin: the same ratebench.bpf.o, the same rate_consume() per record
 * and the same output as ratebench.c, linked against libbpf with a `bpftool gen skeleton`
 * skeleton.
 *
 *   ratebench_native -p PID [-l]     -l: 1 KiB records (default 64 B)
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ratebench.h"
#include "ratebench_native.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig) {
    (void)sig;
    exiting = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG || level == LIBBPF_INFO) return 0;
    return vfprintf(stderr, format, args);
}

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
        default: fprintf(stderr, "usage: ratebench_native -p PID [-l]\n"); return 1;
        }
    }
    if (pid == 0) {
        fprintf(stderr, "ratebench_native: -p PID is required\n");
        return 1;
    }
    libbpf_set_print(quiet_libbpf);
    if (access("/sys/kernel/tracing/events", F_OK) != 0 &&
        access("/sys/kernel/debug/tracing/events", F_OK) != 0)
        mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal; /* no SA_RESTART: the poll returns -EINTR */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    struct ratebench_bpf* skel = ratebench_bpf__open();
    if (!skel) {
        fprintf(stderr, "ratebench_native: open failed\n");
        return 1;
    }
    skel->rodata->target_tgid = (uint32_t)pid;
    skel->rodata->large = large;

    static struct rate_totals totals;
    struct ring_buffer* rb = NULL;
    int err = ratebench_bpf__load(skel);
    if (!err) err = ratebench_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "ratebench_native: load/attach failed: %s\n", strerror(-err));
        goto cleanup;
    }
    rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_record, &totals, NULL);
    if (!rb) {
        err = -errno;
        fprintf(stderr, "ratebench_native: ring buffer setup failed\n");
        goto cleanup;
    }
    printf("READY\n");
    fflush(stdout);
    while (!exiting) {
        err = ring_buffer__poll(rb, 100 /* ms */);
        if (err == -EINTR) break;
        if (err < 0) {
            fprintf(stderr, "ratebench_native: poll failed: %d\n", err);
            goto cleanup;
        }
    }
    err = 0;

    struct rate_stats stats = {0, 0};
    uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &key, &stats) != 0)
        fprintf(stderr, "ratebench_native: reading stats failed: %s\n", strerror(errno));
    printf("received=%llu attempts=%llu dropped=%llu gaps=%llu bad=%llu checksum=%016llx\n",
           (unsigned long long)totals.received, (unsigned long long)stats.attempts,
           (unsigned long long)stats.dropped, (unsigned long long)totals.gaps,
           (unsigned long long)totals.bad, (unsigned long long)totals.checksum);
    fflush(stdout);

cleanup:
    ring_buffer__free(rb);
    ratebench_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
