// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* guestwork: bootstrap's per-event user-space work (examples/bootstrap/bootstrap.c,
 * handle_event()) without BPF, split into its parts, timed in a loop. The same C file builds
 * as a wasm32-wasi guest (run it with `wbpf run`) and natively, so the two show what each part
 * costs interpreted against native code, with no kernel or event path in between.
 *
 *   guestwork [-n ITERATIONS] [-b LINES_PER_FLUSH] [-s SLEEP_US] PART...   stdout: a file
 *
 * -s: sleep between iterations (one wakeup per event, as in the storm: caches cold each time)
 * and report process CPU time per iteration instead of wall time.
 *
 * Parts: clock (time()), tm (time + localtime_r + strftime), localtime (localtime_r alone),
 * strftime (strftime "%H:%M:%S" alone), snprintf_d (snprintf "%d"), snprintf (the EXEC line into a
 * buffer), printf (the EXEC/EXIT lines to stdout, alternating), event (all of handle_event),
 * write (a 90 B fwrite + fflush: one fd_write per line). Each prints one line to stderr:
 * `part=NAME ns_per_iteration=N`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bootstrap.h"
/* As in bootstrap.wasm through the SDK: bulk-memory memcpy/memset and the fast printf and
 * strftime (nothing natively). */
#include <wbpf/bulk_memory.h>
#include <wbpf/fast_printf.h>
#include <wbpf/fast_strftime.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct event sample(int exit_event, unsigned i) {
    struct event e;
    memset(&e, 0, sizeof(e));
    e.pid = 100000 + (int)(i % 50000);
    e.ppid = 4242;
    e.exit_code = 0;
    e.duration_ns = exit_event ? 1300000 : 0;
    memcpy(e.comm, "true", 5);
    memcpy(e.filename, "/bin/true", 10);
    e.exit_event = exit_event;
    return e;
}

/* handle_event() of examples/bootstrap/bootstrap.c, verbatim but for the context. */
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

static volatile unsigned sink;

static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* sleep_us > 0: a sleep between iterations, as between the storm's events (the caches are then
 * cold at each one), and the time is the process CPU time of the iterations alone. */
static void run(const char* part, unsigned iterations, unsigned per_flush, unsigned sleep_us) {
    struct event events[2] = {sample(0, 1), sample(1, 1)};
    unsigned long long handled = 0;
    char line[256];
    double t0 = now_ns();
    double cpu = 0;
    for (unsigned i = 0; i < iterations; ++i) {
        struct event* e = &events[i & 1];
        double c0 = sleep_us ? cpu_ns() : 0;
        if (strcmp(part, "clock") == 0) {
            sink += (unsigned)time(NULL);
        } else if (strcmp(part, "tm") == 0) {
            char ts[16];
            time_t t = time(NULL);
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
            sink += (unsigned char)ts[7];
        } else if (strcmp(part, "localtime") == 0) {
            time_t t = 1700000000 + (time_t)(i & 1);
            struct tm tm;
            localtime_r(&t, &tm);
            sink += (unsigned)tm.tm_sec;
        } else if (strcmp(part, "strftime") == 0) {
            char ts[16];
            struct tm tm = {.tm_hour = 2, .tm_min = 41, .tm_sec = (int)(i & 31)};
            strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
            sink += (unsigned char)ts[7];
        } else if (strcmp(part, "snprintf_d") == 0) {
            sink += (unsigned)snprintf(line, sizeof(line), "%d", e->pid);
        } else if (strcmp(part, "snprintf") == 0) {
            sink += (unsigned)snprintf(line, sizeof(line), "%-8s %-5s %-16s %-7d %-7d %s\n",
                                       "02:41:19", "EXEC", e->comm, e->pid, e->ppid, e->filename);
        } else if (strcmp(part, "printf") == 0) {
            if (e->exit_event) {
                printf("%-8s %-5s %-16s %-7d %-7d [%u]", "02:41:19", "EXIT", e->comm, e->pid,
                       e->ppid, e->exit_code);
                printf(" (%llums)", (unsigned long long)(e->duration_ns / 1000000));
                putchar('\n');
            } else {
                printf("%-8s %-5s %-16s %-7d %-7d %s\n", "02:41:19", "EXEC", e->comm, e->pid,
                       e->ppid, e->filename);
            }
        } else if (strcmp(part, "event") == 0) {
            handle_event(&handled, e, sizeof(*e));
        } else if (strcmp(part, "write") == 0) {
            memset(line, 'x', 89);
            line[89] = '\n';
            fwrite(line, 1, 90, stdout);
        } else {
            fprintf(stderr, "guestwork: unknown part '%s'\n", part);
            exit(2);
        }
        if (per_flush && (i + 1) % per_flush == 0) fflush(stdout);
        if (sleep_us) {
            cpu += cpu_ns() - c0;
            usleep(sleep_us);
        }
    }
    fflush(stdout);
    double ns = (sleep_us ? cpu : now_ns() - t0) / iterations;
    fprintf(stderr, "part=%s ns_per_iteration=%.0f\n", part, ns);
}

int main(int argc, char** argv) {
    unsigned iterations = 100000, per_flush = 1, sleep_us = 0;
    int c;
    while ((c = getopt(argc, argv, "n:b:s:")) != -1) {
        switch (c) {
        case 'n': iterations = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'b': per_flush = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': sleep_us = (unsigned)strtoul(optarg, NULL, 10); break;
        default: fprintf(stderr, "usage: guestwork [-n N] [-b LINES] [-s US] PART...\n"); return 2;
        }
    }
    if (iterations == 0) iterations = 1;
    for (int i = optind; i < argc; ++i)
        run(argv[i], iterations, per_flush, sleep_us);
    return 0;
}
