// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* opensnoop, user half (wasm32-wasi guest): loads opensnoop.bpf.o through the skeleton and
 * prints one line per open/openat/openat2 call, read from the perf event array, until
 * SIGINT/SIGTERM or the -d duration; then a summary line. */
#include <stdio.h>
#include <string.h>

#include "opensnoop.h"
#include "opensnoop.skel.h"

#define WBPF_TOOL_NAME "opensnoop"
#include <wbpf/tool.h>

struct options {
    int pid;
    int failed_only;
    int timestamps;
    int verbose;
    unsigned long duration_s; /* 0: until SIGINT */
    const char* name;         /* substring of the command name, or NULL */
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

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "p:xd:n:Tvh")) != -1) {
        switch (c) {
        case 'p':
            if (wbpf_parse_pid(optarg, &options->pid)) {
                wbpf_tool_warn("invalid PID '%s'", optarg);
                return -1;
            }
            break;
        case 'd':
            if (wbpf_parse_ulong(optarg, 1, 1000000, &options->duration_s)) {
                wbpf_tool_warn("invalid duration '%s'", optarg);
                return -1;
            }
            break;
        case 'n':
            if (optarg[0] == '\0' || strlen(optarg) >= TASK_COMM_LEN) {
                wbpf_tool_warn("invalid command name '%s'", optarg);
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
    return wbpf_tool_no_more_args(argc, argv);
}

struct state {
    const struct options* options;
    unsigned long long events;
    unsigned long long failed;
    unsigned long long first_ts_ns;
};

static int handle_event(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

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

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct opensnoop_bpf* skel = opensnoop_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    /* Take effect at load: written into the object's .rodata. */
    skel->rodata->targ_tgid = options.pid;
    skel->rodata->targ_failed = options.failed_only != 0;

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(opensnoop_bpf__load(skel), "failed to load the BPF object");
    if (!err)
        err = wbpf_tool_check(opensnoop_bpf__attach(skel), "failed to attach the BPF programs");
    if (err) goto cleanup;
    if (options.verbose) wbpf_tool_warn("programs attached");

    /* Once open, the perf buffer keeps every record: the header can say tracing started. */
    buffer = wbpf_tool_open_buffer(skel->maps.events, 0, handle_event, &state, "perf buffer", &err);
    if (!buffer) goto cleanup;
    if (options.timestamps) printf("%-9s ", "TIME(s)");
    printf("%-7s %-16s %3s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "perf buffer", options.duration_s);
    printf("Traced %llu opens (%llu failed).\n", state.events, state.failed);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    opensnoop_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
