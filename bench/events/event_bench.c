// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* event-bench: the measuring side of scripts/bench-events.sh. It starts an event consumer (a
 * `wbpf run` guest or its native libbpf twin) on CPU 1, generates load on CPU 0 and prints its
 * findings as `key=value` words on one line per measurement. Needs root (the consumers do).
 *
 *   event-bench startup [-n RUNS] -- CONSUMER...
 *       Per run: fork+exec the consumer with stdout a pipe, time to its first line (the header it
 *       prints once attached), SIGINT at once, time to its reaped exit. Medians of RUNS (10).
 *   event-bench storm [-s SECONDS] [-H] -- CONSUMER...
 *       bootstrap under a fork+exec storm: the consumer writes to a temporary file; once its
 *       header is there a child on CPU 0 fork+execs /bin/true for SECONDS (10), one at a time.
 *       Each exec should give an EXEC and an EXIT line whose PPID is the storm's pid. -H also
 *       runs a CPU hog (a busy loop) on the consumer's CPU.
 *   event-bench rate [-s SECONDS] [-l] -- CONSUMER... (a "{pid}" argument becomes the
 *       generator's pid) ratebench: a child on CPU 0 calls getppid() for SECONDS (1) per trial;
 *       the consumer gets one record per call (64 B, or 1 KiB with -l). The first trial runs the
 *       generator flat out, then rates are searched for the highest one with no lost record.
 *   event-bench rate [-s SECONDS] -r RATE [-n TRIALS] -- CONSUMER...
 *       TRIALS (1) trials at RATE records/s, no search: for paired comparisons of the CPU per
 *       record of two consumers (or two builds of one) at the same load.
 *
 * CPU time is the consumer's on-CPU time from /proc/PID/schedstat between "ready" (its first
 * line) and just before SIGINT ("steady"), and getrusage() user+system of the whole run
 * ("total"). Peak RSS is ru_maxrss; steady RSS is VmRSS sampled half-way through the load. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOAD_CPU 0
#define CONSUMER_CPU 1

static void die(const char* what) {
    fprintf(stderr, "event-bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) die("sched_setaffinity");
}

/* fork+exec argv on `cpu` with stdout `out_fd` (stdin /dev/null); returns the pid. */
static pid_t spawn(char** argv, int cpu, int out_fd) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        pin_to(cpu);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        dup2(out_fd, STDOUT_FILENO);
        execvp(argv[0], argv);
        fprintf(stderr, "event-bench: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* On-CPU time of the process's main thread in ns (all our consumers are single-threaded). */
static uint64_t cpu_ns_of(pid_t pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
    FILE* f = fopen(path, "r");
    unsigned long long ns = 0;
    if (f) {
        if (fscanf(f, "%llu", &ns) != 1) ns = 0;
        fclose(f);
    }
    return ns;
}

/* A "Name:   N kB" field of /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char* name) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE* f = fopen(path, "r");
    long value = -1;
    size_t len = strlen(name);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            value = strtol(line + len + 1, 0, 10);
    if (f) fclose(f);
    return value;
}

static double rusage_cpu_s(const struct rusage* ru) {
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static int reap(pid_t pid, struct rusage* ru) {
    int status = 0;
    while (wait4(pid, &status, 0, ru) < 0)
        if (errno != EINTR) die("wait4");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reads from fd until a newline arrived or timeout; returns true on a newline. Bytes read are
 * appended to buf (NUL-terminated, truncated at cap). */
static bool read_line(int fd, char* buf, size_t cap, size_t* used, int timeout_ms) {
    uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
    for (;;) {
        if (memchr(buf, '\n', *used)) return true;
        uint64_t now = now_ns();
        if (now >= deadline) return false;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)((deadline - now) / 1000000ULL) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n <= 0) return false;
        size_t take = (size_t)n < cap - 1 - *used ? (size_t)n : cap - 1 - *used;
        memcpy(buf + *used, tmp, take);
        *used += take;
        buf[*used] = '\0';
    }
}

/* Reads fd to EOF, appending to buf as read_line does. */
static void read_all(int fd, char* buf, size_t cap, size_t* used) {
    char tmp[4096];
    ssize_t n;
    while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        size_t take = (size_t)n < cap - 1 - *used ? (size_t)n : cap - 1 - *used;
        memcpy(buf + *used, tmp, take);
        *used += take;
        buf[*used] = '\0';
    }
}

static int compare_u64(const void* a, const void* b) {
    uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t* values, int n) {
    qsort(values, (size_t)n, sizeof(*values), compare_u64);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* ---- startup ---- */

static int run_startup(int runs, char** argv) {
    uint64_t ready[64] = {0}, exited[64] = {0};
    long peak_kb = 0;
    if (runs > 64) runs = 64;
    for (int i = 0; i < runs; i++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) die("pipe");
        uint64_t t0 = now_ns();
        pid_t pid = spawn(argv, CONSUMER_CPU, fds[1]);
        close(fds[1]);
        char buf[512] = "";
        size_t used = 0;
        bool ok = read_line(fds[0], buf, sizeof(buf), &used, 10000);
        uint64_t t_ready = now_ns();
        kill(pid, SIGINT);
        read_all(fds[0], buf, sizeof(buf), &used);
        close(fds[0]);
        struct rusage ru;
        int status = reap(pid, &ru);
        uint64_t t_exit = now_ns();
        if (!ok) {
            fprintf(stderr, "event-bench: no header from %s (exit %d)\n", argv[0], status);
            return 1;
        }
        ready[i] = t_ready - t0;
        exited[i] = t_exit - t0;
        if (ru.ru_maxrss > peak_kb) peak_kb = ru.ru_maxrss;
        sleep_ns(50000000ULL);
    }
    uint64_t ready_min = ready[0], ready_max = ready[0];
    for (int i = 1; i < runs; i++) {
        if (ready[i] < ready_min) ready_min = ready[i];
        if (ready[i] > ready_max) ready_max = ready[i];
    }
    uint64_t ready_median = median(ready, runs);
    printf("runs=%d ready_ms=%.2f ready_min_ms=%.2f ready_max_ms=%.2f exit_ms=%.2f "
           "peak_rss_kb=%ld\n",
           runs, ready_median / 1e6, ready_min / 1e6, ready_max / 1e6, median(exited, runs) / 1e6,
           peak_kb);
    return 0;
}

/* ---- load generators ---- */

static pid_t start_hog(void) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        pin_to(CONSUMER_CPU);
        for (volatile uint64_t spin = 0;; spin++) {
        }
    }
    return pid;
}

static void stop(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The storm child: fork+exec /bin/true, one at a time, for `seconds`; writes the number of
 * successful execs (children that exited 0) to `result_fd`. */
static void storm(double seconds, int result_fd) {
    pin_to(LOAD_CPU);
    char* const true_argv[] = {"/bin/true", NULL};
    char* const no_env[] = {NULL};
    uint64_t deadline = now_ns() + (uint64_t)(seconds * 1e9);
    uint64_t execs = 0;
    while (now_ns() < deadline) {
        pid_t pid = fork();
        if (pid < 0) continue;
        if (pid == 0) {
            execve(true_argv[0], true_argv, no_env);
            _exit(127);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) execs++;
    }
    if (write(result_fd, &execs, sizeof(execs)) != sizeof(execs)) _exit(1);
    _exit(0);
}

/* ---- storm ---- */

static int run_storm(double seconds, bool hog, char** argv) {
    char path[] = "/tmp/event-bench-XXXXXX";
    int out_fd = mkostemp(path, O_CLOEXEC);
    if (out_fd < 0) die("mkostemp");
    pid_t hog_pid = hog ? start_hog() : 0;

    pid_t consumer = spawn(argv, CONSUMER_CPU, out_fd);
    /* Ready once the header line is in the file. */
    uint64_t wait_deadline = now_ns() + 10000000000ULL;
    for (;;) {
        char head[256];
        ssize_t n = pread(out_fd, head, sizeof(head), 0);
        if (n > 0 && memchr(head, '\n', (size_t)n)) break;
        if (now_ns() > wait_deadline || waitpid(consumer, NULL, WNOHANG) == consumer) {
            fprintf(stderr, "event-bench: no header from %s\n", argv[0]);
            if (hog_pid) stop(hog_pid);
            unlink(path);
            return 1;
        }
        sleep_ns(1000000ULL);
    }
    uint64_t cpu_ready = cpu_ns_of(consumer);

    int result[2];
    if (pipe2(result, O_CLOEXEC) != 0) die("pipe");
    uint64_t t0 = now_ns();
    pid_t storm_pid = fork();
    if (storm_pid < 0) die("fork");
    if (storm_pid == 0) storm(seconds, result[1]);
    close(result[1]);
    sleep_ns((uint64_t)(seconds * 0.5e9));
    long steady_rss_kb = status_field(consumer, "VmRSS");
    uint64_t execs = 0;
    if (read(result[0], &execs, sizeof(execs)) != sizeof(execs)) die("storm result");
    double storm_s = (now_ns() - t0) / 1e9;
    close(result[0]);
    waitpid(storm_pid, NULL, 0);
    sleep_ns(500000000ULL); /* let the consumer drain the ring buffer */
    uint64_t cpu_end = cpu_ns_of(consumer);
    kill(consumer, SIGINT);
    struct rusage ru;
    int status = reap(consumer, &ru);
    if (hog_pid) stop(hog_pid);

    /* Count the storm's lines: bootstrap's fixed columns put PPID at offset 40. */
    FILE* f = fdopen(out_fd, "r");
    if (!f) die("fdopen");
    rewind(f);
    char line[512];
    uint64_t lines = 0, execs_seen = 0, exits_seen = 0;
    while (fgets(line, sizeof(line), f)) {
        lines++;
        if (strlen(line) < 48) continue;
        if (strtol(line + 40, NULL, 10) != storm_pid) continue;
        if (strncmp(line + 9, "EXEC ", 5) == 0) execs_seen++;
        if (strncmp(line + 9, "EXIT ", 5) == 0) exits_seen++;
    }
    fclose(f);
    unlink(path);

    uint64_t events = lines > 0 ? lines - 1 : 0; /* every line but the header */
    uint64_t expected = 2 * execs, captured = execs_seen + exits_seen;
    double lost_pct =
        expected ? 100.0 * (double)(expected - (captured < expected ? captured : expected)) /
                       (double)expected
                 : 0.0;
    printf("exit=%d hog=%d seconds=%.2f execs=%llu expected=%llu captured=%llu lost=%lld "
           "lost_pct=%.2f events=%llu event_rate=%.0f cpu_total_s=%.3f cpu_steady_s=%.3f "
           "us_per_event=%.2f us_per_event_total=%.2f peak_rss_kb=%ld steady_rss_kb=%ld\n",
           status, hog, storm_s, (unsigned long long)execs, (unsigned long long)expected,
           (unsigned long long)captured, (long long)expected - (long long)captured, lost_pct,
           (unsigned long long)events, (double)events / storm_s, rusage_cpu_s(&ru),
           (cpu_end - cpu_ready) / 1e9, events ? (cpu_end - cpu_ready) / 1e3 / (double)events : 0.0,
           events ? rusage_cpu_s(&ru) * 1e6 / (double)events : 0.0, ru.ru_maxrss, steady_rss_kb);
    return status == 0 ? 0 : 1;
}

/* ---- rate ---- */

struct generator_result {
    uint64_t calls;
    uint64_t elapsed_ns;
};

/* The generator child: waits for a target rate (calls/s, 0: flat out) on go_fd, then calls
 * getppid() at that rate for `seconds` and reports on result_fd. */
static void generator(double seconds, int go_fd, int result_fd) {
    pin_to(LOAD_CPU);
    uint64_t rate = 0;
    if (read(go_fd, &rate, sizeof(rate)) != sizeof(rate)) _exit(1);
    uint64_t t0 = now_ns(), duration = (uint64_t)(seconds * 1e9), calls = 0, elapsed = 0;
    for (;;) {
        elapsed = now_ns() - t0;
        if (elapsed >= duration) break;
        uint64_t burst = 16;
        if (rate) {
            uint64_t due = (uint64_t)((double)rate * (double)elapsed / 1e9);
            if (calls >= due) continue;
            if (due - calls < burst) burst = due - calls;
        }
        for (uint64_t i = 0; i < burst; i++)
            syscall(SYS_getppid);
        calls += burst;
    }
    struct generator_result r = {calls, elapsed};
    if (write(result_fd, &r, sizeof(r)) != sizeof(r)) _exit(1);
    _exit(0);
}

struct trial {
    double target_rate; /* 0: flat out */
    double rate;        /* records the generator produced per second */
    uint64_t received, attempts, dropped;
    int64_t lost;
    double us_per_event;
    long peak_rss_kb, steady_rss_kb;
    bool ok;
};

static struct trial rate_trial(double seconds, double target, char** argv, int argc) {
    struct trial t;
    memset(&t, 0, sizeof(t));
    t.target_rate = target;
    int go[2], result[2], out[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(result, O_CLOEXEC) != 0) die("pipe");
    pid_t gen = fork();
    if (gen < 0) die("fork");
    if (gen == 0) {
        close(go[1]);
        close(result[0]);
        generator(seconds, go[0], result[1]);
    }
    close(go[0]);
    close(result[1]);
    /* Made after the fork, so that only the consumer holds its write end. */
    if (pipe2(out, O_CLOEXEC) != 0) die("pipe");

    char pid_text[16];
    snprintf(pid_text, sizeof(pid_text), "%d", (int)gen);
    char* args[64];
    int n = 0;
    for (int i = 0; i < argc && n < 63; i++)
        args[n++] = strcmp(argv[i], "{pid}") == 0 ? pid_text : argv[i];
    args[n] = NULL;
    pid_t consumer = spawn(args, CONSUMER_CPU, out[1]);
    close(out[1]);
    char buf[1024] = "";
    size_t used = 0;
    if (!read_line(out[0], buf, sizeof(buf), &used, 10000)) {
        fprintf(stderr, "event-bench: no READY from %s\n", args[0]);
        kill(consumer, SIGKILL);
        stop(gen);
        reap(consumer, &(struct rusage){0});
        close(go[1]);
        close(result[0]);
        close(out[0]);
        return t;
    }
    uint64_t cpu_ready = cpu_ns_of(consumer);
    uint64_t rate = (uint64_t)target;
    if (write(go[1], &rate, sizeof(rate)) != sizeof(rate)) die("go");
    sleep_ns((uint64_t)(seconds * 0.5e9));
    t.steady_rss_kb = status_field(consumer, "VmRSS");
    struct generator_result g;
    if (read(result[0], &g, sizeof(g)) != sizeof(g)) die("generator result");
    waitpid(gen, NULL, 0);
    close(go[1]);
    close(result[0]);
    sleep_ns(300000000ULL); /* drain */
    uint64_t cpu_end = cpu_ns_of(consumer);
    kill(consumer, SIGINT);
    read_all(out[0], buf, sizeof(buf), &used);
    close(out[0]);
    struct rusage ru;
    int status = reap(consumer, &ru);
    const char* summary = strstr(buf, "received=");
    unsigned long long received = 0, attempts = 0, dropped = 0;
    if (status != 0 || !summary ||
        sscanf(summary, "received=%llu attempts=%llu dropped=%llu", &received, &attempts,
               &dropped) != 3) {
        fprintf(stderr, "event-bench: bad summary from %s (exit %d): %s\n", args[0], status, buf);
        return t;
    }
    t.rate = (double)g.calls * 1e9 / (double)g.elapsed_ns;
    t.received = received;
    t.attempts = attempts;
    t.dropped = dropped;
    t.lost = (int64_t)g.calls - (int64_t)received;
    t.us_per_event = received ? (cpu_end - cpu_ready) / 1e3 / (double)received : 0.0;
    t.peak_rss_kb = ru.ru_maxrss;
    t.ok = true;
    return t;
}

static void print_trial(const char* what, const struct trial* t) {
    printf("%s target=%.0f rate=%.0f received=%llu attempts=%llu dropped=%llu lost=%lld "
           "us_per_event=%.3f peak_rss_kb=%ld steady_rss_kb=%ld\n",
           what, t->target_rate, t->rate, (unsigned long long)t->received,
           (unsigned long long)t->attempts, (unsigned long long)t->dropped, (long long)t->lost,
           t->us_per_event, t->peak_rss_kb, t->steady_rss_kb);
    fflush(stdout);
}

static int run_fixed_rate(double seconds, double rate, int trials, char** argv, int argc) {
    int failed = 0;
    for (int i = 0; i < trials; i++) {
        struct trial t = rate_trial(seconds, rate, argv, argc);
        print_trial("trial", &t);
        if (!t.ok) failed = 1;
    }
    return failed;
}

static int run_rate(double seconds, char** argv, int argc) {
    struct trial flat = rate_trial(seconds, 0, argv, argc);
    if (!flat.ok) return 1;
    print_trial("trial", &flat);
    struct trial best = flat;
    bool capped = flat.lost == 0; /* the generator, not the consumer, was the limit */
    if (!capped) {
        memset(&best, 0, sizeof(best));
        double fail = flat.rate, pass = 0;
        double rate = 0.9 * (double)flat.received / seconds;
        if (rate > 0.9 * fail) rate = 0.9 * fail;
        for (int i = 0; i < 8 && !best.ok; i++) { /* down until one trial loses nothing */
            struct trial t = rate_trial(seconds, rate, argv, argc);
            print_trial("trial", &t);
            if (t.ok && t.lost == 0) {
                best = t;
                pass = rate;
            } else {
                fail = rate;
                rate *= 0.7;
            }
        }
        if (!best.ok) {
            fprintf(stderr, "event-bench: %s lost records in every trial, down to %.0f/s\n",
                    argv[0], fail);
            return 1;
        }
        for (int i = 0; i < 3; i++) { /* then bisect between the pass and the fail */
            double mid = (pass + fail) / 2;
            struct trial t = rate_trial(seconds, mid, argv, argc);
            print_trial("trial", &t);
            if (t.ok && t.lost == 0) {
                pass = mid;
                if (t.rate > best.rate) best = t; /* the generator may fall short of mid */
            } else {
                fail = mid;
            }
        }
    }
    printf("result capped=%d max_rate=%.0f us_per_event=%.3f flat_rate=%.0f flat_lost_pct=%.2f "
           "flat_us_per_event=%.3f peak_rss_kb=%ld steady_rss_kb=%ld\n",
           capped, best.rate, best.us_per_event, flat.rate,
           flat.rate > 0 ? 100.0 * (double)flat.lost / (flat.rate * seconds) : 0.0,
           flat.us_per_event, best.peak_rss_kb, best.steady_rss_kb);
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: event-bench startup [-n RUNS] -- CONSUMER...\n"
                    "       event-bench storm [-s SECONDS] [-H] -- CONSUMER...\n"
                    "       event-bench rate [-s SECONDS] -- CONSUMER... ({pid}: generator)\n"
                    "       event-bench rate [-s SECONDS] -r RATE [-n TRIALS] -- CONSUMER...\n");
    exit(2);
}

int main(int argc, char** argv) {
    if (argc < 2) usage();
    const char* mode = argv[1];
    int runs = 10;
    bool runs_given = false;
    double fixed_rate = 0;
    double seconds = strcmp(mode, "rate") == 0 ? 1.0 : 10.0;
    bool hog = false;
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
            runs_given = true;
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            fixed_rate = atof(argv[++i]);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "-H") == 0)
            hog = true;
        else
            usage();
    }
    if (i + 1 >= argc || runs < 1 || seconds <= 0 || fixed_rate < 0) usage();
    char** consumer = argv + i + 1;
    int consumer_argc = argc - i - 1;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "startup") == 0) return run_startup(runs, consumer);
    if (strcmp(mode, "storm") == 0) return run_storm(seconds, hog, consumer);
    if (strcmp(mode, "rate") == 0 && fixed_rate > 0)
        return run_fixed_rate(seconds, fixed_rate, runs_given ? runs : 1, consumer, consumer_argc);
    if (strcmp(mode, "rate") == 0) return run_rate(seconds, consumer, consumer_argc);
    usage();
    return 2;
}
