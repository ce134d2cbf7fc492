/* What libbpf-tools-style command-line tools share, for wasm32 guests of wbpf: number and
 * `[interval] [count]` parsing, one-line errors, the -T time, the load/attach/buffer steps with
 * their messages, polling until Ctrl-C, and a sleep that tells Ctrl-C apart. Header-only, on top
 * of <wbpf/libbpf.h>; unused functions cost nothing in a -Oz build.
 *
 * Define WBPF_TOOL_NAME (a string literal, e.g. "execsnoop") before including this file:
 * every message starts with "NAME: ". Conventions: functions returning int give 0 on success;
 * parsers give -1 on a bad value (the caller prints its own message), the others a negative
 * errno after printing one line on stderr.
 */
#ifndef WBPF_TOOL_H
#define WBPF_TOOL_H

#ifndef WBPF_TOOL_NAME
#error "define WBPF_TOOL_NAME (the tool's name, for messages) before including <wbpf/tool.h>"
#endif

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wbpf/libbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- messages ---- */

/* Prints "NAME: " and the formatted text as one line on stderr. */
static inline void wbpf_tool_warn(const char* format, ...) {
    va_list args;
    va_start(args, format);
    fputs(WBPF_TOOL_NAME ": ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

/* For err < 0 prints "NAME: WHAT: strerror(-err)"; returns err either way. */
static inline int wbpf_tool_check(int err, const char* what) {
    if (err < 0) wbpf_tool_warn("%s: %s", what, strerror(-err));
    return err;
}

/* Prints "NAME: WHAT: strerror(-err)" and returns 1, the exit code of a tool that failed:
 *   if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton"); */
static inline int wbpf_tool_fail(int err, const char* what) {
    wbpf_tool_warn("%s: %s", what, strerror(-err));
    return 1;
}

/* ---- arguments ---- */

/* The largest pid Linux can give (FUTEX_TID_MASK); -p options accept 1..WBPF_PID_MAX. */
#define WBPF_PID_MAX 0x3fffffffUL

/* Parses `text`, the whole string, as a decimal number in [min, max]: only digits (no sign,
 * blank or base prefix), no overflow. Returns 0 and sets *value, or -1. */
static inline int wbpf_parse_ulong(const char* text, unsigned long min, unsigned long max,
                                   unsigned long* value) {
    if (text[0] < '0' || text[0] > '9') return -1;
    char* end = NULL;
    errno = 0;
    unsigned long long number = strtoull(text, &end, 10);
    if (errno || *end != '\0' || number < min || number > max) return -1;
    *value = (unsigned long)number;
    return 0;
}

/* Parses a pid for -p: 1..WBPF_PID_MAX. Returns 0 and sets *pid, or -1. */
static inline int wbpf_parse_pid(const char* text, int* pid) {
    unsigned long value;
    if (wbpf_parse_ulong(text, 1, WBPF_PID_MAX, &value)) return -1;
    *pid = (int)value;
    return 0;
}

/* An interface name the host can attach to: 1-15 bytes, no '/', ':' or blank. */
static inline bool wbpf_valid_ifname(const char* name, size_t length) {
    if (length == 0 || length > 15) return false;
    for (size_t i = 0; i < length; i++)
        if (name[i] == '/' || name[i] == ':' || name[i] == ' ' || name[i] == '\t' ||
            name[i] == '\n')
            return false;
    return true;
}

/* After getopt: fails with "NAME: unexpected argument 'X'" if an operand is left. 0 or -1. */
static inline int wbpf_tool_no_more_args(int argc, char** argv) {
    if (optind < argc) {
        wbpf_tool_warn("unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

/* After getopt: parses the operands `[interval] [count]` of interval tools, each at least 1 and
 * at most max_interval / max_count; an absent one keeps its value. Fails with one line
 * ("invalid interval 'X'", "invalid count 'X'", "unexpected argument 'X'"). 0 or -1. */
static inline int wbpf_tool_interval_count(int argc, char** argv, unsigned long max_interval,
                                           unsigned long* interval, unsigned long max_count,
                                           unsigned long* count) {
    if (optind < argc) {
        if (wbpf_parse_ulong(argv[optind], 1, max_interval, interval)) {
            wbpf_tool_warn("invalid interval '%s'", argv[optind]);
            return -1;
        }
        optind++;
    }
    if (optind < argc) {
        if (wbpf_parse_ulong(argv[optind], 1, max_count, count)) {
            wbpf_tool_warn("invalid count '%s'", argv[optind]);
            return -1;
        }
        optind++;
    }
    return wbpf_tool_no_more_args(argc, argv);
}

/* For a parse_args result of 0 (go on), 1 (-h) or -1 (bad argument): -1 to go on; otherwise
 * prints `usage` (on stdout for -h, on stderr after a bad argument) and returns the exit code,
 * 0 or 1:   int parsed = parse_args(...); if (parsed) return wbpf_tool_usage(parsed, usage); */
static inline int wbpf_tool_usage(int parsed, void (*usage)(FILE* out)) {
    usage(parsed > 0 ? stdout : stderr);
    return parsed > 0 ? 0 : 1;
}

/* ---- time ---- */

/* Prints the local time as HH:MM:SS followed by `after` (" " for a TIME column, "\n" for a
 * line before a report): what -T prints. */
static inline void wbpf_print_time(const char* after) {
    char text[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(text, sizeof(text), "%H:%M:%S", &tm);
    printf("%s%s", text, after);
}

/* Milliseconds of CLOCK_MONOTONIC. */
static inline unsigned long long wbpf_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* Sleeps `seconds`. Returns false after the whole time, true when it ended early: under wbpf
 * only SIGINT/SIGTERM does that (the host's poll_oneoff fails with EINTR at shutdown).
 * wasi-libc's nanosleep turns every poll_oneoff failure into ENOTSUP, not EINTR, so the
 * reason cannot be told and any failure counts as Ctrl-C: with valid arguments, there is no
 * other. */
static inline bool wbpf_sleep_interrupted(unsigned long seconds) {
    struct timespec wait = {.tv_sec = (time_t)seconds, .tv_nsec = 0};
    return nanosleep(&wait, NULL) != 0;
}

/* ---- loading, attaching, buffers ---- */

/* Sets `prog`'s host attach target (interface, cgroup directory, "binary:symbol"...) and
 * attaches it. 0 or -errno; nothing printed (the reason depends on the target). */
static inline int wbpf_attach_to(struct bpf_program* prog, const char* target) {
    int err = bpf_program__set_attach_target(prog, 0, target);
    if (err) return err;
    struct bpf_link* link = bpf_program__attach(prog);
    if (!link) return -errno;
    bpf_link__destroy(link); /* only the record: the kernel link lives until the object closes */
    return 0;
}

/* A buffer (`what`: "ring buffer" or "perf buffer", for messages) on `map` for records of at
 * most max_record_size bytes (0: WBPF_BUFFER_DEFAULT_SIZE), opened with sample_fn(ctx) and
 * ready (see bpf_buffer__open). NULL and *err = -errno after one line on failure. */
static inline struct bpf_buffer* wbpf_tool_open_buffer(struct bpf_map* map, size_t max_record_size,
                                                       bpf_buffer_sample_fn sample_fn, void* ctx,
                                                       const char* what, int* err) {
    struct bpf_buffer* buffer = bpf_buffer__new_with_size(
        map, max_record_size ? max_record_size : WBPF_BUFFER_DEFAULT_SIZE);
    if (!buffer) {
        *err = -errno;
        wbpf_tool_warn("failed to create the %s: %s", what, strerror(errno));
        return NULL;
    }
    *err = bpf_buffer__open(buffer, sample_fn, ctx);
    if (*err) {
        wbpf_tool_warn("failed to open the %s: %s", what, strerror(-*err));
        bpf_buffer__free(buffer);
        return NULL;
    }
    return buffer;
}

/* Polls `buffer` until SIGINT/SIGTERM (after the host delivered the last records) or, if
 * duration_s is not 0, until that many seconds passed; flushes stdout after every batch so a
 * pipe sees each record soon. 0, or -errno after "NAME: polling the WHAT failed: ...". */
static inline int wbpf_tool_poll(struct bpf_buffer* buffer, const char* what,
                                 unsigned long duration_s) {
    unsigned long long deadline = duration_s ? wbpf_now_ms() + duration_s * 1000ULL : 0;
    for (;;) {
        int err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err > 0) fflush(stdout);
        if (err == -EINTR) return 0;
        if (err < 0) {
            wbpf_tool_warn("polling the %s failed: %s", what, strerror(-err));
            return err;
        }
        if (deadline && wbpf_now_ms() >= deadline) return 0;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* WBPF_TOOL_H */
