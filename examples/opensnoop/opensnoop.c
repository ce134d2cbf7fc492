// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* opensnoop, user half (wasm32-wasi guest): loads opensnoop.bpf.o through the skeleton and
 * prints one line per open/openat/openat2 call, read from the perf event array, until
 * SIGINT/SIGTERM or the -d duration; then a summary line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opensnoop.h"
#include "opensnoop.skel.h"

struct options {
    int pid;
    int failed_only;
    int timestamps;
    int verbose;
    unsigned duration_s; /* 0: until SIGINT */
    const char* name;    /* substring of the command name, or NULL */
};

static void usage(FILE* out) {
    fprintf(out, "Usage: opensnoop [-p PID] [-x] [-d SECONDS] [-n NAME] [-T] [-v] [-h]\n"
                 "Trace open(2), openat(2) and openat2(2): PID, command, fd, errno and path.\n"
                 "\n"
                 "  -p PID      only this process\n"
                 "  -x          only failed opens\n"
                 "  -d SECONDS  stop after SECONDS (default: until Ctrl-C)\n"
                 "  -n NAME     only commands whose name contains NAME\n"
                 "  -T          print a timestamp (seconds since the first event)\n"
                 "  -v          report progress on stderr\n"
                 "  -h          show this help\n");
}

/* Parses a decimal in [min, max]; returns 0 or -1. */
static int parse_number(const char* text, long min, long max, long* value) {
    char* end = NULL;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || n < min || n > max) return -1;
    *value = n;
    return 0;
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    long value;
    while ((c = getopt(argc, argv, "p:xd:n:Tvh")) != -1) {
        switch (c) {
        case 'p':
            if (parse_number(optarg, 1, 0x3fffffff, &value)) {
                fprintf(stderr, "opensnoop: invalid PID '%s'\n", optarg);
                return -1;
            }
            options->pid = (int)value;
            break;
        case 'd':
            if (parse_number(optarg, 1, 1000000, &value)) {
                fprintf(stderr, "opensnoop: invalid duration '%s'\n", optarg);
                return -1;
            }
            options->duration_s = (unsigned)value;
            break;
        case 'n':
            if (optarg[0] == '\0' || strlen(optarg) >= TASK_COMM_LEN) {
                fprintf(stderr, "opensnoop: invalid command name '%s'\n", optarg);
                return -1;
            }
            options->name = optarg;
            break;
        case 'x': options->failed_only = 1; break;
        case 'T': options->timestamps = 1; break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "opensnoop: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

struct state {
    const struct options* options;
    unsigned long long events;
    unsigned long long failed;
    unsigned long long first_ts_ns;
    int header_printed;
};

static void print_header(struct state* state) {
    if (state->header_printed) return;
    if (state->options->timestamps) printf("%-9s ", "TIME(s)");
    printf("%-7s %-16s %3s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
    state->header_printed = 1;
}

static int handle_event(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */
    print_header(state); /* a record can arrive during the first poll, before the header */

    char comm[TASK_COMM_LEN + 1];
    char path[OPENSNOOP_PATH_LEN + 1];
    memcpy(comm, e->comm, TASK_COMM_LEN);
    comm[TASK_COMM_LEN] = '\0';
    memcpy(path, e->path, OPENSNOOP_PATH_LEN);
    path[OPENSNOOP_PATH_LEN] = '\0';
    if (state->options->name && !strstr(comm, state->options->name)) return 0;

    if (state->options->timestamps) {
        if (!state->first_ts_ns) state->first_ts_ns = e->ts_ns;
        printf("%-9.3f ", (double)(e->ts_ns - state->first_ts_ns) / 1e9);
    }
    int fd = e->ret >= 0 ? e->ret : -1;
    int err = e->ret >= 0 ? 0 : -e->ret;
    printf("%-7d %-16s %3d %3d %s\n", e->pid, comm, fd, err, path);
    state->events++;
    if (err) state->failed++;
    return 0;
}

static unsigned long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 1;
    }

    struct opensnoop_bpf* skel = opensnoop_bpf__open();
    if (!skel) {
        fprintf(stderr, "opensnoop: failed to open the BPF skeleton: %s\n", strerror(errno));
        return 1;
    }
    /* Take effect at load: written into the object's .rodata. */
    skel->rodata->targ_tgid = options.pid;
    skel->rodata->targ_failed = options.failed_only != 0;

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = opensnoop_bpf__load(skel);
    if (err) {
        fprintf(stderr, "opensnoop: failed to load the BPF object: %s\n", strerror(-err));
        goto cleanup;
    }
    err = opensnoop_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "opensnoop: failed to attach the BPF programs: %s\n", strerror(-err));
        goto cleanup;
    }
    if (options.verbose) fprintf(stderr, "opensnoop: programs attached\n");

    buffer = bpf_buffer__new(skel->maps.events, NULL);
    if (!buffer) {
        err = -errno;
        fprintf(stderr, "opensnoop: failed to create the perf buffer: %s\n", strerror(errno));
        goto cleanup;
    }
    err = bpf_buffer__open(buffer, handle_event, &state);
    if (err) {
        fprintf(stderr, "opensnoop: failed to open the perf buffer: %s\n", strerror(-err));
        goto cleanup;
    }

    /* The host opens the per-CPU perf buffers at the first poll, and the kernel drops records
     * sent before that: poll once before the header tells the user that tracing started. */
    err = bpf_buffer__poll(buffer, 0);
    if (err < 0 && err != -EINTR) {
        fprintf(stderr, "opensnoop: failed to open the perf buffer: %s\n", strerror(-err));
        goto cleanup;
    }
    print_header(&state);
    fflush(stdout);
    unsigned long long deadline = options.duration_s ? now_ms() + options.duration_s * 1000ULL : 0;
    for (;;) {
        err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err > 0) fflush(stdout); /* one write per batch, also when stdout is a pipe */
        if (err == -EINTR) {         /* SIGINT/SIGTERM */
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "opensnoop: polling the perf buffer failed: %s\n", strerror(-err));
            break;
        }
        if (deadline && now_ms() >= deadline) {
            err = 0;
            break;
        }
    }
    printf("Traced %llu opens (%llu failed).\n", state.events, state.failed);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    opensnoop_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
