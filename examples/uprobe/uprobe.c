// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uprobe, user half (wasm32-wasi guest): attaches uprobe.bpf.o's uprobe and uretprobe to the
 * function named on the command line and prints one line per completed call, with its
 * arguments and return value, until SIGINT/SIGTERM; then a summary line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "uprobe.h"
#include "uprobe.skel.h"

#define WBPF_TOOL_NAME "uprobe"
#include <wbpf/tool.h>

#define MAX_TARGET_LEN 4096

struct options {
    const char* binary;
    const char* symbol;
    int pid;      /* 0: every process */
    int nr_args;  /* arguments printed */
    int as_int32; /* arguments and return value are C ints */
    int hex;      /* print in hexadecimal */
    int timestamps;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out,
            "Usage: uprobe -b BINARY -f SYMBOL [-p PID] [-a N] [-i] [-x] [-T] [-v] [-h]\n"
            "Trace calls of a user-space function: arguments, return value, duration.\n"
            "\n"
            "  -b BINARY  the executable or library (path as the host sees it)\n"
            "  -f SYMBOL  the function: an ELF symbol, SYMBOL+OFFSET, or an address\n"
            "  -p PID     only calls made by this process\n"
            "  -a N       print the first N arguments (0-%d, default 2)\n"
            "  -i         arguments and return value are 32-bit signed ints\n"
            "             (default: 64-bit signed)\n"
            "  -x         print arguments and return value in hexadecimal\n"
            "  -T         print the time of the return (HH:MM:SS)\n"
            "  -v         report progress on stderr\n"
            "  -h         show this help\n",
            UPROBE_MAX_ARGS);
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    unsigned long value;
    options->nr_args = 2;
    while ((c = getopt(argc, argv, "b:f:p:a:ixTvh")) != -1) {
        switch (c) {
        case 'b': options->binary = optarg; break;
        case 'f': options->symbol = optarg; break;
        case 'p':
            if (wbpf_parse_pid(optarg, &options->pid)) {
                wbpf_tool_warn("invalid PID '%s'", optarg);
                return -1;
            }
            break;
        case 'a':
            if (wbpf_parse_ulong(optarg, 0, UPROBE_MAX_ARGS, &value)) {
                wbpf_tool_warn("invalid argument count '%s' (0-%d)", optarg, UPROBE_MAX_ARGS);
                return -1;
            }
            options->nr_args = (int)value;
            break;
        case 'i': options->as_int32 = 1; break;
        case 'x': options->hex = 1; break;
        case 'T': options->timestamps = 1; break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (wbpf_tool_no_more_args(argc, argv)) return -1;
    if (!options->binary || !options->binary[0] || !options->symbol || !options->symbol[0]) {
        wbpf_tool_warn("-b BINARY and -f SYMBOL are required");
        return -1;
    }
    /* The host splits "[pid:]binary:symbol" at the last ':'. */
    if (strchr(options->symbol, ':')) {
        wbpf_tool_warn("invalid symbol '%s'", options->symbol);
        return -1;
    }
    return 0;
}

/* Builds the host attach target "[pid:]binary:symbol" into out; 0 or -1 if too long. */
static int attach_target(const struct options* options, char* out, size_t size) {
    /* A leading all-digit field followed by ':' would be read as a pid. */
    const char* binary = options->binary;
    const char* prefix = strspn(binary, "0123456789") == strlen(binary) ? "./" : "";
    int n = options->pid
                ? snprintf(out, size, "%d:%s%s:%s", options->pid, prefix, binary, options->symbol)
                : snprintf(out, size, "%s%s:%s", prefix, binary, options->symbol);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

struct state {
    const struct options* options;
    unsigned long long calls;
};

static void print_value(const struct options* options, uint64_t raw) {
    if (options->as_int32) {
        if (options->hex)
            printf("0x%" PRIx32, (uint32_t)raw);
        else
            printf("%" PRId32, (int32_t)(uint32_t)raw);
    } else if (options->hex) {
        printf("0x%" PRIx64, raw);
    } else {
        printf("%" PRId64, (int64_t)raw);
    }
}

static int handle_event(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct options* options = state->options;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

    char comm[TASK_COMM_LEN + 1];
    memcpy(comm, e->comm, TASK_COMM_LEN);
    comm[TASK_COMM_LEN] = '\0';
    if (options->timestamps) wbpf_print_time(" ");
    printf("%-7d %-7d %-16s %10.3f %s(", e->pid, e->tid, comm, (double)e->duration_ns / 1000.0,
           options->symbol);
    for (int i = 0; i < options->nr_args; i++) {
        if (i) printf(", ");
        print_value(options, e->args[i]);
    }
    printf(") = ");
    print_value(options, e->ret);
    putchar('\n');
    state->calls++;
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);
    static char target[MAX_TARGET_LEN];
    if (attach_target(&options, target, sizeof(target))) {
        wbpf_tool_warn("binary path too long");
        return 1;
    }

    struct uprobe_bpf* skel = uprobe_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(uprobe_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    /* The return probe first, so that every recorded entry gets its return seen. */
    struct bpf_program* programs[] = {skel->progs.uprobe_return, skel->progs.uprobe_entry};
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
        err = wbpf_attach_to(programs[i], target);
        if (err) {
            wbpf_tool_warn("cannot attach to %s:%s: %s", options.binary, options.symbol,
                           strerror(-err));
            goto cleanup;
        }
    }
    if (options.verbose) wbpf_tool_warn("attached to %s", target);

    buffer = wbpf_tool_open_buffer(skel->maps.rb, 0, handle_event, &state, "ring buffer", &err);
    if (!buffer) goto cleanup;
    if (options.timestamps) printf("%-8s ", "TIME");
    printf("%-7s %-7s %-16s %10s %s\n", "PID", "TID", "COMM", "LAT(us)", "CALL = RETURN");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0);
    printf("Traced %llu calls of %s in %s.\n", state.calls, options.symbol, options.binary);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    uprobe_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
