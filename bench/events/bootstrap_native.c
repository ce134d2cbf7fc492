// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bootstrap's native twin for benchmarks: the same bootstrap.bpf.o and the same output as
 * examples/bootstrap/bootstrap.c, but linked against libbpf with a `bpftool gen skeleton`
 * skeleton instead of running as a wasm guest. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bootstrap.h"
#include "bootstrap_native.skel.h"

static volatile sig_atomic_t exiting;
static int verbose;

static void on_signal(int sig) {
    (void)sig;
    exiting = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG || !verbose) return 0;
    return vfprintf(stderr, format, args);
}

/* Tracepoint attach needs tracefs; mount it where libbpf looks, like `wbpf run` does. */
static void ensure_tracefs(void) {
    if (access("/sys/kernel/tracing/events", F_OK) == 0) return;
    if (access("/sys/kernel/debug/tracing/events", F_OK) == 0) return;
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0 && verbose)
        fprintf(stderr, "bootstrap_native: cannot mount tracefs: %s\n", strerror(errno));
}

static void usage(FILE* out) {
    fprintf(out, "Usage: bootstrap_native [-d MS] [-v] [-h]\n"
                 "Native libbpf twin of examples/bootstrap (same BPF object, same output).\n");
}

static int handle_event(void* ctx, void* data, size_t size) {
    unsigned long long* events = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0;

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
    ++*events;
    return 0;
}

int main(int argc, char** argv) {
    unsigned long long min_duration_ms = 0;
    int c;
    while ((c = getopt(argc, argv, "d:vh")) != -1) {
        switch (c) {
        case 'd': {
            char* end = NULL;
            errno = 0;
            min_duration_ms = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "bootstrap_native: invalid duration '%s'\n", optarg);
                return 1;
            }
            break;
        }
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    libbpf_set_print(print_libbpf);
    ensure_tracefs();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    struct bootstrap_bpf* skel = bootstrap_bpf__open();
    if (!skel) {
        fprintf(stderr, "bootstrap_native: failed to open the BPF skeleton\n");
        return 1;
    }
    skel->rodata->min_duration_ns = min_duration_ms * 1000000ULL;

    unsigned long long events = 0;
    struct ring_buffer* rb = NULL;
    int err = bootstrap_bpf__load(skel);
    if (err) {
        fprintf(stderr, "bootstrap_native: failed to load the BPF object: %s\n", strerror(-err));
        goto cleanup;
    }
    err = bootstrap_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "bootstrap_native: failed to attach: %s\n", strerror(-err));
        goto cleanup;
    }
    rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle_event, &events, NULL);
    if (!rb) {
        err = -errno;
        fprintf(stderr, "bootstrap_native: failed to create the ring buffer\n");
        goto cleanup;
    }

    printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID", "PPID",
           "FILENAME/EXIT CODE");
    fflush(stdout);
    while (!exiting) {
        err = ring_buffer__poll(rb, 100 /* ms */);
        if (err > 0) fflush(stdout);
        if (err == -EINTR) {
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "bootstrap_native: polling the ring buffer failed: %d\n", err);
            break;
        }
        err = 0;
    }
    fflush(stdout);
    if (verbose) fprintf(stderr, "bootstrap_native: exiting after %llu events\n", events);

cleanup:
    ring_buffer__free(rb);
    bootstrap_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
