/* bench-measure: runs a command several times and reports its median wall time and peak RSS.
 *
 *   bench-measure [-n RUNS] [-w WARMUP] [-o FILE] -- COMMAND [ARGS...]
 *
 * Runs COMMAND WARMUP times unmeasured, then RUNS times measured; each run's stdout goes to FILE
 * (truncated per run, so FILE holds the last run's output) or to /dev/null, stderr is inherited.
 * Prints one line: "MEDIAN_SECONDS MIN_SECONDS PEAK_RSS_KIB MEDIAN_CPU_SECONDS": the median and
 * the minimum wall time from fork to reaped exit, the largest ru_maxrss over the measured runs,
 * and the median CPU time (user + system), which a busy machine distorts much less than wall
 * time. Exits 1 if any run fails (non-zero exit status or signal), 2 on a usage error.
 *
 * Why our own helper rather than /usr/bin/time: it is not always installed, and one tool gives
 * both numbers from the same runs. fork (not vfork/posix_spawn) keeps the helper's own pages
 * out of the child's peak RSS: a forked child only owns the few pages it has written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run_result {
    double seconds;
    double cpu_seconds;
    long peak_rss_kib;
};

static void usage(void) {
    fputs("usage: bench-measure [-n RUNS] [-w WARMUP] [-o FILE] -- COMMAND [ARGS...]\n", stderr);
    exit(2);
}

static long parse_count(const char* text, long minimum) {
    char* end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < minimum || value > 1000000) usage();
    return value;
}

static double now_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

/* Runs argv once with stdout on output_path; returns 0 and fills result, or -1 on failure. */
static int run_once(char** argv, const char* output_path, struct run_result* result) {
    double start = now_seconds();
    pid_t child = fork();
    if (child < 0) {
        perror("bench-measure: fork");
        return -1;
    }
    if (child == 0) {
        int output = open(output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (output < 0 || dup2(output, STDOUT_FILENO) < 0) {
            perror("bench-measure: stdout");
            _exit(127);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "bench-measure: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("bench-measure: wait4");
            return -1;
        }
    }
    result->seconds = now_seconds() - start;
    result->cpu_seconds = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                          (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
    result->peak_rss_kib = usage.ru_maxrss; /* Linux reports kibibytes */
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "bench-measure: %s: killed by signal %d\n", argv[0], WTERMSIG(status));
        return -1;
    }
    if (WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench-measure: %s: exit status %d\n", argv[0], WEXITSTATUS(status));
        return -1;
    }
    return 0;
}

static int compare_doubles(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

/* Sorts values in place and returns their median. */
static double median(double* values, long count) {
    qsort(values, (size_t)count, sizeof *values, compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int main(int argc, char** argv) {
    long runs = 5, warmup = 0;
    const char* output_path = "/dev/null";
    int option;
    while ((option = getopt(argc, argv, "+n:w:o:")) != -1) {
        switch (option) {
        case 'n': runs = parse_count(optarg, 1); break;
        case 'w': warmup = parse_count(optarg, 0); break;
        case 'o': output_path = optarg; break;
        default: usage();
        }
    }
    if (optind >= argc) usage();
    char** command = argv + optind;

    double* seconds = calloc((size_t)runs, sizeof *seconds);
    double* cpu_seconds = calloc((size_t)runs, sizeof *cpu_seconds);
    if (!seconds || !cpu_seconds) {
        perror("bench-measure");
        return 1;
    }
    long peak_rss_kib = 0;
    struct run_result result;
    for (long i = 0; i < warmup; ++i)
        if (run_once(command, output_path, &result) != 0) return 1;
    for (long i = 0; i < runs; ++i) {
        if (run_once(command, output_path, &result) != 0) return 1;
        seconds[i] = result.seconds;
        cpu_seconds[i] = result.cpu_seconds;
        if (result.peak_rss_kib > peak_rss_kib) peak_rss_kib = result.peak_rss_kib;
    }
    double wall_median = median(seconds, runs), cpu_median = median(cpu_seconds, runs);
    printf("%.6f %.6f %ld %.6f\n", wall_median, seconds[0], peak_rss_kib, cpu_median);
    free(seconds);
    free(cpu_seconds);
    return 0;
}
