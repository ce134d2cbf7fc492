// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* execsnoop, user half (wasm32-wasi guest): prints one line per exec with its full argument
 * list until SIGINT/SIGTERM, then the number of execs seen. */
#include <stdio.h>
#include <string.h>

#include "execsnoop.h"
#include "execsnoop.skel.h"

#define WBPF_TOOL_NAME "execsnoop"
#include <wbpf/tool.h>

struct options {
    long long uid; /* -1: all users */
    int timestamps;
    int failed_too;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: execsnoop [-u UID] [-x] [-T] [-h]\n"
                 "Trace exec() calls with their full argument lists.\n"
                 "\n"
                 "  -u UID  only execs by this user id\n"
                 "  -x      also report failed execs (RET is then -errno)\n"
                 "  -T      print a time column\n"
                 "  -h      show this help\n"
                 "\n"
                 "Arguments containing spaces, quotes, backslashes or non-printable bytes are\n"
                 "printed in double quotes with \\\" \\\\ and \\xHH escapes.\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    unsigned long value;
    while ((c = getopt(argc, argv, "u:xTh")) != -1) {
        switch (c) {
        case 'u':
            if (wbpf_parse_ulong(optarg, 0, 0xfffffffeUL, &value)) {
                wbpf_tool_warn("invalid user id '%s'", optarg);
                return -1;
            }
            options->uid = (long long)value;
            break;
        case 'x': options->failed_too = 1; break;
        case 'T': options->timestamps = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    return wbpf_tool_no_more_args(argc, argv);
}

struct state {
    const struct options* options;
    unsigned long long events;
};

static int needs_quotes(const char* arg, size_t len) {
    if (len == 0) return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)arg[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '\'') return 1;
    }
    return 0;
}

static void print_arg(const char* arg, size_t len) {
    if (!needs_quotes(arg, len)) {
        fwrite(arg, 1, len, stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)arg[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < ' ' || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The arguments are NUL-separated; a missing final NUL means the last one was cut. */
static void print_args(const struct event* e) {
    size_t size = e->args_size < ARGS_SIZE ? e->args_size : ARGS_SIZE;
    size_t start = 0;
    int first = 1;
    while (start < size) {
        const char* arg = e->args + start;
        const char* nul = memchr(arg, '\0', size - start);
        size_t len = nul ? (size_t)(nul - arg) : size - start;
        if (!first) putchar(' ');
        print_arg(arg, len);
        first = 0;
        start += len + 1;
    }
    if (e->truncated) printf(first ? "..." : " ...");
}

static int handle_event(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

    if (state->options->timestamps) wbpf_print_time(" ");
    char comm[TASK_COMM_LEN + 1];
    memcpy(comm, e->comm, TASK_COMM_LEN);
    comm[TASK_COMM_LEN] = '\0';
    printf("%-16s %-7d %-7d %-6u %4d ", comm, e->pid, e->ppid, e->uid, e->retval);
    print_args(e);
    putchar('\n');
    state->events++;
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {.uid = -1};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct execsnoop_bpf* skel = execsnoop_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    if (options.uid >= 0) skel->rodata->targ_uid = (uint32_t)options.uid;
    /* Failed execs need the syscall programs: only pay for them when asked. */
    if (!options.failed_too) {
        bpf_program__set_autoload(skel->progs.execsnoop_ent, false);
        bpf_program__set_autoload(skel->progs.execsnoop_entat, false);
        bpf_program__set_autoload(skel->progs.execsnoop_ret, false);
        bpf_program__set_autoload(skel->progs.execsnoop_retat, false);
    }

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(execsnoop_bpf__load(skel), "failed to load the BPF object");
    if (!err)
        err = wbpf_tool_check(execsnoop_bpf__attach(skel), "failed to attach the BPF programs");
    if (!err)
        buffer = wbpf_tool_open_buffer(skel->maps.events, sizeof(struct event), handle_event,
                                       &state, "ring buffer", &err);
    if (err) goto cleanup;

    if (options.timestamps) printf("%-8s ", "TIME");
    printf("%-16s %-7s %-7s %-6s %4s %s\n", "PCOMM", "PID", "PPID", "UID", "RET", "ARGS");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0);
    printf("%llu execs traced\n", state.events);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    execsnoop_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
