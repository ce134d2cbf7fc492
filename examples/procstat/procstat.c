// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procstat, user half (wasm32-wasi guest): every interval, prints the memory figures and context
 * switch counts procstat.bpf.c collected at context switches, for the processes that switched
 * since the previous report; on SIGINT/SIGTERM (or after `count` reports) a last report and a
 * summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procstat.h"
#include "procstat.skel.h"

#define WBPF_TOOL_NAME "procstat"
#include <wbpf/tool.h>

struct options {
    int pid;                /* 0: every process */
    unsigned long rows;     /* 0: every process */
    unsigned long interval; /* seconds */
    unsigned long count;    /* 0: until SIGINT */
    int timestamps;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: procstat [-p PID] [-r ROWS] [-T] [-v] [-h] [interval] [count]\n"
                 "Per-process memory (vsize, RSS file/anon/shmem, swap, data, stack) and context\n"
                 "switch counts, sampled at every context switch. Each report lists the\n"
                 "processes that switched since the previous one, largest RSS first; sizes in\n"
                 "kB, switch counts since procstat started.\n"
                 "\n"
                 "  -p PID   only this process\n"
                 "  -r ROWS  at most ROWS processes per report (default: all)\n"
                 "  -T       print the time before each report\n"
                 "  -v       report progress on stderr\n"
                 "  -h       show this help\n"
                 "  interval seconds between reports (default 1)\n"
                 "  count    number of reports (default: until Ctrl-C)\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    options->interval = 1;
    while ((c = getopt(argc, argv, "p:r:Tvh")) != -1) {
        switch (c) {
        case 'p':
            if (wbpf_parse_pid(optarg, &options->pid)) {
                wbpf_tool_warn("invalid PID '%s'", optarg);
                return -1;
            }
            break;
        case 'r':
            if (wbpf_parse_ulong(optarg, 1, PROCSTAT_MAX_PROCESSES, &options->rows)) {
                wbpf_tool_warn("invalid row count '%s'", optarg);
                return -1;
            }
            break;
        case 'T': options->timestamps = 1; break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    return wbpf_tool_interval_count(argc, argv, 3600 * 24, &options->interval, 1000000000,
                                    &options->count);
}

static uint64_t rss(const struct proc_stat* s) {
    return s->rss_file + s->rss_anon + s->rss_shmem;
}

static int by_rss_descending(const void* a, const void* b) {
    uint64_t ra = rss(a), rb = rss(b);
    if (ra != rb) return ra < rb ? 1 : -1;
    return ((const struct proc_stat*)a)->pid - ((const struct proc_stat*)b)->pid;
}

/* Every entry of the map; at most PROCSTAT_MAX_PROCESSES (the map's size). */
static struct proc_stat entries[PROCSTAT_MAX_PROCESSES];

/* Reads the whole map into `entries`; returns the number read or -errno. */
static int read_stats(int fd) {
    int32_t key = 0, next = 0;
    int n = 0;
    int err = bpf_map_get_next_key(fd, NULL, &next);
    while (err == 0 && n < PROCSTAT_MAX_PROCESSES) {
        /* An entry deleted (process exit) between the two calls is simply skipped. */
        if (bpf_map_lookup_elem(fd, &next, &entries[n]) == 0) n++;
        key = next;
        err = bpf_map_get_next_key(fd, &key, &next);
    }
    return err == 0 || err == -ENOENT ? n : err;
}

static void print_kb(uint64_t bytes, int width) {
    printf(" %*llu", width, (unsigned long long)(bytes / 1024));
}

/* Prints the processes updated after *since_ns (and moves it on); returns -errno or 0. */
static int report(int fd, const struct options* options, uint64_t* since_ns) {
    int n = read_stats(fd);
    if (n < 0) return n;
    int shown = 0;
    uint64_t latest = *since_ns;
    for (int i = 0; i < n; i++) {
        if (entries[i].updated_ns > latest) latest = entries[i].updated_ns;
        if (entries[i].updated_ns > *since_ns) entries[shown++] = entries[i];
    }
    *since_ns = latest;
    qsort(entries, (size_t)shown, sizeof(entries[0]), by_rss_descending);
    if (options->rows && (unsigned long)shown > options->rows) shown = (int)options->rows;

    if (options->timestamps) wbpf_print_time("\n");
    printf("%-7s %-16s %10s %9s %9s %9s %9s %8s %9s %9s %9s %9s\n", "PID", "COMM", "VSIZE(kB)",
           "RSS(kB)", "FILE(kB)", "ANON(kB)", "SHMEM(kB)", "SWAP(kB)", "DATA(kB)", "STACK(kB)",
           "VCSW", "IVCSW");
    for (int i = 0; i < shown; i++) {
        const struct proc_stat* s = &entries[i];
        char comm[TASK_COMM_LEN + 1];
        memcpy(comm, s->comm, TASK_COMM_LEN);
        comm[TASK_COMM_LEN] = '\0';
        printf("%-7d %-16s", s->pid, comm[0] ? comm : "?");
        print_kb(s->vsize, 10);
        print_kb(rss(s), 9);
        print_kb(s->rss_file, 9);
        print_kb(s->rss_anon, 9);
        print_kb(s->rss_shmem, 9);
        print_kb(s->swap, 8);
        print_kb(s->data, 9);
        print_kb(s->stack, 9);
        printf(" %9llu %9llu\n", (unsigned long long)s->voluntary_switches,
               (unsigned long long)s->involuntary_switches);
    }
    putchar('\n');
    fflush(stdout);
    return 0;
}

static int summary(int fd) {
    int n = read_stats(fd);
    if (n < 0) return n;
    unsigned long long voluntary = 0, involuntary = 0;
    for (int i = 0; i < n; i++) {
        voluntary += entries[i].voluntary_switches;
        involuntary += entries[i].involuntary_switches;
    }
    printf("Tracked %d processes: %llu voluntary and %llu involuntary context switches.\n", n,
           voluntary, involuntary);
    fflush(stdout);
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct procstat_bpf* skel = procstat_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    skel->rodata->targ_tgid = options.pid; /* written into the object's .rodata at load */

    int err = wbpf_tool_check(procstat_bpf__load(skel), "failed to load the BPF object");
    if (!err)
        err = wbpf_tool_check(procstat_bpf__attach(skel), "failed to attach the BPF programs");
    if (err) goto cleanup;
    int fd = bpf_map__fd(skel->maps.stats);
    if (fd < 0) {
        err = wbpf_tool_check(fd, "no stats map");
        goto cleanup;
    }
    if (options.verbose) wbpf_tool_warn("programs attached");
    printf("Tracing context switches... Hit Ctrl-C to end.\n\n");
    fflush(stdout);

    uint64_t since_ns = 0;
    for (unsigned long done = 0; options.count == 0 || done < options.count; done++) {
        bool interrupted = wbpf_sleep_interrupted(options.interval);
        err = wbpf_tool_check(report(fd, &options, &since_ns), "reading the stats map failed");
        if (err < 0) goto cleanup;
        if (interrupted) break;
    }
    err = wbpf_tool_check(summary(fd), "reading the stats map failed");

cleanup:
    procstat_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
