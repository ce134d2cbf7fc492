// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sigsnoop, user half (wasm32-wasi guest): prints one line per signal sent until SIGINT/SIGTERM,
 * then the number of signals seen. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sigsnoop.h"
#include "sigsnoop.skel.h"

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

static int parse_number(const char* text, long max, long* value) {
    char* end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < 0 || v > max) return -1;
    *value = v;
    return 0;
}

static int parse_signal(const char* text) {
    long number;
    if (isdigit((unsigned char)text[0]))
        return parse_number(text, SIGRTMAX_LINUX, &number) == 0 && number > 0 ? (int)number : -1;
    const char* name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (int i = 1; i < NSIG_STANDARD; i++)
        if (strcasecmp(name, signal_names[i] + 3) == 0) return i;
    return -1;
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    long value;
    while ((c = getopt(argc, argv, "p:s:xTh")) != -1) {
        switch (c) {
        case 'p':
            if (parse_number(optarg, 0x3fffffff, &value) != 0 || value == 0) {
                fprintf(stderr, "sigsnoop: invalid pid '%s'\n", optarg);
                return -1;
            }
            options->pid = (int)value;
            break;
        case 's':
            options->signal = parse_signal(optarg);
            if (options->signal < 0) {
                fprintf(stderr, "sigsnoop: invalid signal '%s'\n", optarg);
                return -1;
            }
            break;
        case 'x': options->failed_only = 1; break;
        case 'T': options->timestamps = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sigsnoop: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
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

    if (state->options->timestamps) {
        char ts[16];
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
        printf("%-8s ", ts);
    }
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
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 1;
    }

    struct sigsnoop_bpf* skel = sigsnoop_bpf__open();
    if (!skel) {
        fprintf(stderr, "sigsnoop: failed to open the BPF skeleton: %s\n", strerror(errno));
        return 1;
    }
    skel->rodata->filter_pid = options.pid;
    skel->rodata->filter_signal = options.signal;
    skel->rodata->failed_only = options.failed_only != 0;

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = sigsnoop_bpf__load(skel);
    if (err) {
        fprintf(stderr, "sigsnoop: failed to load the BPF object: %s\n", strerror(-err));
        goto cleanup;
    }
    err = sigsnoop_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "sigsnoop: failed to attach the BPF programs: %s\n", strerror(-err));
        goto cleanup;
    }
    buffer = bpf_buffer__new_with_size(skel->maps.events, sizeof(struct event));
    if (!buffer) {
        err = -errno;
        fprintf(stderr, "sigsnoop: failed to create the ring buffer: %s\n", strerror(errno));
        goto cleanup;
    }
    err = bpf_buffer__open(buffer, handle_event, &state);
    if (err) {
        fprintf(stderr, "sigsnoop: failed to open the ring buffer: %s\n", strerror(-err));
        goto cleanup;
    }

    if (options.timestamps) printf("%-8s ", "TIME");
    printf("%-7s %-16s %-10s %-7s %-6s %-6s %s\n", "PID", "COMM", "SIG", "TPID", "RESULT", "HOW",
           "FATE");
    fflush(stdout);
    for (;;) {
        err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err > 0) fflush(stdout); /* one write per batch, also when stdout is a pipe */
        if (err == -EINTR) {         /* SIGINT/SIGTERM */
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "sigsnoop: polling the ring buffer failed: %s\n", strerror(-err));
            break;
        }
    }
    printf("%llu signals traced, %llu failed\n", state.events, state.failed);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    sigsnoop_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
