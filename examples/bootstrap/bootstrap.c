// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bootstrap, user half (wasm32-wasi guest): loads bootstrap.bpf.o through the skeleton, then
 * prints one line per process exec and exit until SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootstrap.h"
#include "bootstrap.skel.h"

struct options {
    unsigned long long min_duration_ms;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: bootstrap [-d MS] [-v] [-h]\n"
                 "Trace process start and exit: exec'd file name, exit code and lifetime.\n"
                 "\n"
                 "  -d MS  only report processes that lived at least MS milliseconds\n"
                 "         (exec events are then not reported)\n"
                 "  -v     report progress on stderr (libbpf's own messages: `wbpf run -v`)\n"
                 "  -h     show this help\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "d:vh")) != -1) {
        switch (c) {
        case 'd': {
            char* end = NULL;
            errno = 0;
            unsigned long long value = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end != '\0' || optarg[0] == '-' ||
                value > 1000ULL * 1000 * 1000) {
                fprintf(stderr, "bootstrap: invalid duration '%s'\n", optarg);
                return -1;
            }
            options->min_duration_ms = value;
            break;
        }
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bootstrap: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

struct stats {
    unsigned long long events;
};

static int handle_event(void* ctx, void* data, size_t size) {
    struct stats* stats = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

    char ts[16];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%H:%M:%S", &tm);

    char comm[TASK_COMM_LEN + 1];
    char filename[MAX_FILENAME_LEN + 1];
    memcpy(comm, e->comm, TASK_COMM_LEN);
    comm[TASK_COMM_LEN] = '\0';
    memcpy(filename, e->filename, MAX_FILENAME_LEN);
    filename[MAX_FILENAME_LEN] = '\0';

    if (e->exit_event) {
        printf("%-8s %-5s %-16s %-7d %-7d [%u]", ts, "EXIT", comm, e->pid, e->ppid, e->exit_code);
        if (e->duration_ns) printf(" (%llums)", (unsigned long long)(e->duration_ns / 1000000));
        putchar('\n');
    } else {
        printf("%-8s %-5s %-16s %-7d %-7d %s\n", ts, "EXEC", comm, e->pid, e->ppid, filename);
    }
    stats->events++;
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 1;
    }

    struct bootstrap_bpf* skel = bootstrap_bpf__open();
    if (!skel) {
        fprintf(stderr, "bootstrap: failed to open the BPF skeleton: %s\n", strerror(errno));
        return 1;
    }
    /* Takes effect at load: it is written into the object's .rodata. */
    skel->rodata->min_duration_ns = options.min_duration_ms * 1000000ULL;

    struct stats stats = {0};
    struct bpf_buffer* buffer = NULL;
    int err = bootstrap_bpf__load(skel);
    if (err) {
        fprintf(stderr, "bootstrap: failed to load the BPF object: %s\n", strerror(-err));
        goto cleanup;
    }
    if (options.verbose) fprintf(stderr, "bootstrap: BPF object loaded\n");
    err = bootstrap_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "bootstrap: failed to attach the BPF programs: %s\n", strerror(-err));
        goto cleanup;
    }
    if (options.verbose) fprintf(stderr, "bootstrap: programs attached\n");

    buffer = bpf_buffer__new(skel->maps.rb, NULL);
    if (!buffer) {
        err = -errno;
        fprintf(stderr, "bootstrap: failed to create the ring buffer: %s\n", strerror(errno));
        goto cleanup;
    }
    err = bpf_buffer__open(buffer, handle_event, &stats);
    if (err) {
        fprintf(stderr, "bootstrap: failed to open the ring buffer: %s\n", strerror(-err));
        goto cleanup;
    }

    printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID", "PPID",
           "FILENAME/EXIT CODE");
    fflush(stdout);
    for (;;) {
        err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err > 0) fflush(stdout); /* one write per batch, also when stdout is a pipe */
        if (err == -EINTR) {         /* SIGINT/SIGTERM */
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "bootstrap: polling the ring buffer failed: %s\n", strerror(-err));
            break;
        }
    }
    fflush(stdout);
    if (options.verbose) fprintf(stderr, "bootstrap: exiting after %llu events\n", stats.events);

cleanup:
    bpf_buffer__free(buffer);
    bootstrap_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
