// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sigsnoop, user half (wasm32-wasi guest): prints one line per signal sent until SIGINT/SIGTERM,
 * then the number of signals seen. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sigsnoop.h"
#include "sigsnoop.skel.h"

#define WBPF_TOOL_NAME "sigsnoop"
#include <wbpf/tool.h>

/* Linux x86-64 numbering (the kernel's, not wasi-libc's, which has no real signals). */
static const char* const signal_names[] = {
    "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};
#define NSIG_STANDARD 32
#define SIGRTMIN_LINUX 32
#define SIGRTMAX_LINUX 64

static const char* const fate_names[] = {"delivered", "ignored", "pending", "overflow", "lost"};
static const char* const origin_names[] = {"kill", "tkill", "tgkill", "other"};

struct options {
    int pid;
    int signal;
    int failed_only;
    int timestamps;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: sigsnoop [-p PID] [-s SIGNAL] [-x] [-T] [-h]\n"
                 "Trace signals sent: kill/tkill/tgkill with their results, and signals the\n"
                 "kernel generates.\n"
                 "\n"
                 "  -p PID     only signals sent by this process\n"
                 "  -s SIGNAL  only this signal (number, or name like TERM or SIGTERM)\n"
                 "  -x         only failed kill/tkill/tgkill calls\n"
                 "  -T         print a time column\n"
                 "  -h         show this help\n"
                 "\n"
                 "RESULT is the call's return value (0 or -errno); FATE is what became of the\n"
                 "signal (delivered, ignored, pending, overflow, lost; - when none was made).\n");
}

static int parse_signal(const char* text) {
    unsigned long number;
    if (isdigit((unsigned char)text[0]))
        return wbpf_parse_ulong(text, 1, SIGRTMAX_LINUX, &number) == 0 ? (int)number : -1;
    const char* name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (int i = 1; i < NSIG_STANDARD; i++)
        if (strcasecmp(name, signal_names[i] + 3) == 0) return i;
    return -1;
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "p:s:xTh")) != -1) {
        switch (c) {
        case 'p':
            if (wbpf_parse_pid(optarg, &options->pid)) {
                wbpf_tool_warn("invalid pid '%s'", optarg);
                return -1;
            }
            break;
        case 's':
            options->signal = parse_signal(optarg);
            if (options->signal < 0) {
                wbpf_tool_warn("invalid signal '%s'", optarg);
                return -1;
            }
            break;
        case 'x': options->failed_only = 1; break;
        case 'T': options->timestamps = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    return wbpf_tool_no_more_args(argc, argv);
}

static void format_signal(int sig, char* out, size_t size) {
    if (sig >= 0 && sig < NSIG_STANDARD)
        snprintf(out, size, "%s", signal_names[sig]);
    else if (sig >= SIGRTMIN_LINUX && sig <= SIGRTMAX_LINUX)
        snprintf(out, size, "SIGRTMIN+%d", sig - SIGRTMIN_LINUX);
    else
        snprintf(out, size, "%d", sig);
}

struct state {
    const struct options* options;
    unsigned long long events;
    unsigned long long failed;
};

static int handle_event(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

    if (state->options->timestamps) wbpf_print_time(" ");
    char comm[TASK_COMM_LEN + 1];
    memcpy(comm, e->comm, TASK_COMM_LEN);
    comm[TASK_COMM_LEN] = '\0';
    char sig[16];
    format_signal(e->sig, sig, sizeof(sig));
    const char* origin =
        e->origin >= 0 && e->origin <= ORIGIN_OTHER ? origin_names[e->origin] : "?";
    const char* fate =
        e->fate >= FATE_DELIVERED && e->fate <= FATE_LOSE_INFO ? fate_names[e->fate] : "-";
    printf("%-7d %-16s %-10s %-7d %-6d %-6s %s\n", e->pid, comm, sig, e->tpid, e->ret, origin,
           fate);
    state->events++;
    if (e->ret < 0) state->failed++;
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct sigsnoop_bpf* skel = sigsnoop_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    skel->rodata->filter_pid = options.pid;
    skel->rodata->filter_signal = options.signal;
    skel->rodata->failed_only = options.failed_only != 0;

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(sigsnoop_bpf__load(skel), "failed to load the BPF object");
    if (!err)
        err = wbpf_tool_check(sigsnoop_bpf__attach(skel), "failed to attach the BPF programs");
    if (!err)
        buffer = wbpf_tool_open_buffer(skel->maps.events, sizeof(struct event), handle_event,
                                       &state, "ring buffer", &err);
    if (err) goto cleanup;

    if (options.timestamps) printf("%-8s ", "TIME");
    printf("%-7s %-16s %-10s %-7s %-6s %-6s %s\n", "PID", "COMM", "SIG", "TPID", "RESULT", "HOW",
           "FATE");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0);
    printf("%llu signals traced, %llu failed\n", state.events, state.failed);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    sigsnoop_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
