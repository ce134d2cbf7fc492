// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bootstrap, user half (wasm32-wasi guest): loads bootstrap.bpf.o through the skeleton, then
 * prints one line per process exec and exit until SIGINT/SIGTERM. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bootstrap.h"
#include "bootstrap.skel.h"

#define WBPF_TOOL_NAME "bootstrap"
#include <wbpf/tool.h>

struct options {
    unsigned long min_duration_ms;
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
        case 'd':
            if (wbpf_parse_ulong(optarg, 0, 1000UL * 1000 * 1000, &options->min_duration_ms)) {
                wbpf_tool_warn("invalid duration '%s'", optarg);
                return -1;
            }
            break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    return wbpf_tool_no_more_args(argc, argv);
}

struct stats {
    unsigned long long events;
};

/* The same work per event as bench/events/bootstrap_native.c, its native twin: keep them alike
 * (the time is formatted here, not with wbpf_print_time, for that reason). */
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
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct bootstrap_bpf* skel = bootstrap_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    /* Takes effect at load: it is written into the object's .rodata. */
    skel->rodata->min_duration_ns = options.min_duration_ms * 1000000ULL;

    struct stats stats = {0};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(bootstrap_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    if (options.verbose) wbpf_tool_warn("BPF object loaded");
    err = wbpf_tool_check(bootstrap_bpf__attach(skel), "failed to attach the BPF programs");
    if (err) goto cleanup;
    if (options.verbose) wbpf_tool_warn("programs attached");
    buffer = wbpf_tool_open_buffer(skel->maps.rb, 0, handle_event, &stats, "ring buffer", &err);
    if (!buffer) goto cleanup;

    printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID", "PPID",
           "FILENAME/EXIT CODE");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0);
    fflush(stdout);
    if (options.verbose) wbpf_tool_warn("exiting after %llu events", stats.events);

cleanup:
    bpf_buffer__free(buffer);
    bootstrap_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
