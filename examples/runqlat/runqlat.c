// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* runqlat, user half (wasm32-wasi guest): every interval, reads the run-queue latency
 * histograms from the `hists` map, prints them and deletes them, so each print covers one
 * interval. SIGINT/SIGTERM prints what was gathered since the last print and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runqlat.h"
#include "runqlat.skel.h"

#define WBPF_TOOL_NAME "runqlat"
#include <wbpf/tool.h>

#define MAX_HISTS 10240 /* the map's max_entries */

struct options {
    int per_process;
    int milliseconds;
    int pid;
    int timestamps;
    int raw_tracepoints;
    unsigned long interval; /* seconds */
    unsigned long count;    /* 0: until interrupted */
};

static void usage(FILE* out) {
    fprintf(out, "Usage: runqlat [-m] [-P] [-p PID] [-T] [-R] [-h] [interval] [count]\n"
                 "Summarize run-queue (scheduler) latency as log2 histograms.\n"
                 "\n"
                 "  -m      milliseconds (default: microseconds)\n"
                 "  -P      one histogram per process\n"
                 "  -p PID  only this process\n"
                 "  -T      print a time line before each output\n"
                 "  -R      use raw tracepoints instead of BTF-typed ones\n"
                 "  -h      show this help\n"
                 "  interval  print every this many seconds (default: only at Ctrl-C)\n"
                 "  count     stop after this many prints\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "mPp:TRh")) != -1) {
        switch (c) {
        case 'm': options->milliseconds = 1; break;
        case 'P': options->per_process = 1; break;
        case 'p':
            if (wbpf_parse_pid(optarg, &options->pid)) {
                wbpf_tool_warn("invalid pid '%s'", optarg);
                return -1;
            }
            break;
        case 'T': options->timestamps = 1; break;
        case 'R': options->raw_tracepoints = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    return wbpf_tool_interval_count(argc, argv, 86400 * 365, &options->interval, 0xffffffffUL,
                                    &options->count);
}

static void print_stars(uint32_t value, uint32_t max, int width) {
    int stars = max ? (int)((uint64_t)value * (uint64_t)width / max) : 0;
    for (int i = 0; i < width; i++)
        putchar(i < stars ? '*' : ' ');
}

static void print_log2_hist(const uint32_t* slots, const char* unit) {
    int last = -1;
    uint32_t max = 0;
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (slots[i]) last = i;
        if (slots[i] > max) max = slots[i];
    }
    printf("%*s%-*s : count    distribution\n", 5, "", 19, unit);
    for (int i = 0; i <= last; i++) {
        unsigned long long low = i ? 1ULL << (i - 1) : 0;
        unsigned long long high = (1ULL << i) - 1;
        if (i == MAX_SLOTS - 1)
            printf("%10llu -> %-10s : %-8u |", low, "...", slots[i]);
        else
            printf("%10llu -> %-10llu : %-8u |", low, high, slots[i]);
        print_stars(slots[i], max, 40);
        printf("|\n");
    }
}

static int compare_keys(const void* a, const void* b) {
    uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
    return x < y ? -1 : x > y;
}

/* Prints every histogram in the map, then deletes them. Returns 0 or -errno. */
static int print_and_clear(struct runqlat_bpf* skel, const struct options* options,
                           uint32_t* keys) {
    int fd = bpf_map__fd(skel->maps.hists);
    if (fd < 0) return fd;
    /* Keys first, then deletes: deleting while walking a hash map may restart the walk. */
    size_t n = 0;
    uint32_t key = 0;
    const uint32_t* previous = NULL;
    while (n < MAX_HISTS && bpf_map_get_next_key(fd, previous, &key) == 0) {
        keys[n] = key;
        previous = &keys[n];
        n++;
    }
    qsort(keys, n, sizeof(keys[0]), compare_keys);

    if (options->timestamps) wbpf_print_time("\n");
    const char* unit = options->milliseconds ? "msecs" : "usecs";
    for (size_t i = 0; i < n; i++) {
        struct hist hist;
        if (bpf_map_lookup_elem(fd, &keys[i], &hist) != 0) continue; /* gone meanwhile */
        if (options->per_process) {
            char comm[TASK_COMM_LEN + 1];
            memcpy(comm, hist.comm, TASK_COMM_LEN);
            comm[TASK_COMM_LEN] = '\0';
            printf("\npid = %u %s\n", keys[i], comm);
        }
        print_log2_hist(hist.slots, unit);
    }
    printf("\n");
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        int err = bpf_map_delete_elem(fd, &keys[i]);
        if (err < 0 && err != -ENOENT) return err;
    }
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);
    uint32_t* keys = malloc(MAX_HISTS * sizeof(uint32_t));
    if (!keys) {
        wbpf_tool_warn("out of memory");
        return 1;
    }

    /* tp_btf first; a kernel that cannot attach it gets the raw_tp twins. */
    struct runqlat_bpf* skel = NULL;
    int err = 0;
    for (int raw = options.raw_tracepoints; raw <= 1; raw++) {
        skel = runqlat_bpf__open();
        if (!skel) {
            err = -errno;
            free(keys);
            return wbpf_tool_fail(err, "failed to open the BPF skeleton");
        }
        skel->rodata->targ_per_process = options.per_process != 0;
        skel->rodata->targ_ms = options.milliseconds != 0;
        skel->rodata->targ_tgid = options.pid;
        bpf_program__set_autoload(skel->progs.rq_btf_wakeup, !raw);
        bpf_program__set_autoload(skel->progs.rq_btf_wake_new, !raw);
        bpf_program__set_autoload(skel->progs.rq_btf_switch, !raw);
        bpf_program__set_autoload(skel->progs.rq_raw_wakeup, raw);
        bpf_program__set_autoload(skel->progs.rq_raw_wake_new, raw);
        bpf_program__set_autoload(skel->progs.rq_raw_switch, raw);
        err = runqlat_bpf__load(skel);
        if (!err) err = runqlat_bpf__attach(skel);
        if (!err) break;
        runqlat_bpf__destroy(skel);
        skel = NULL;
    }
    if (err) {
        free(keys);
        return wbpf_tool_fail(err, "failed to load and attach the BPF programs");
    }

    printf("Tracing run queue latency... Hit Ctrl-C to end.\n");
    fflush(stdout);
    unsigned long printed = 0;
    for (;;) {
        bool interrupted = wbpf_sleep_interrupted(options.interval ? options.interval : 99999999);
        err =
            wbpf_tool_check(print_and_clear(skel, &options, keys), "reading the histograms failed");
        if (err < 0) break;
        printed++;
        if (interrupted || (options.count && printed >= options.count)) break;
    }

    runqlat_bpf__destroy(skel);
    free(keys);
    return err < 0 ? 1 : 0;
}
