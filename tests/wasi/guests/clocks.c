// Clocks and sleeping: resolution, monotonicity, CPU-time clocks and sleep accuracy. Prints
// only deterministic verdicts so the native and wasm outputs compare byte for byte.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) {
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long now(clockid_t id) {
    struct timespec t;
    if (clock_gettime(id, &t) != 0) return -1;
    return ns(t);
}

static long long last_measure = -1; // shown on failure (on stderr: not compared)

static void check(const char* what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) fprintf(stderr, "%s: measured %lld ns\n", what, last_measure);
}

int main(void) {
    const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                             CLOCK_THREAD_CPUTIME_ID};
    const char* names[] = {"realtime", "monotonic", "process", "thread"};
    for (int i = 0; i < 4; ++i) {
        struct timespec res;
        int rc = clock_getres(ids[i], &res);
        printf("getres %s: %s\n", names[i],
               rc == 0 && ns(res) > 0 && ns(res) <= 10000000 ? "ok" : "FAILED");
    }
    check("realtime after 2020", now(CLOCK_REALTIME) > 1577836800LL * 1000000000LL);
    check("time() agrees", time(NULL) >= 1577836800);

    long long a = now(CLOCK_MONOTONIC), b = now(CLOCK_MONOTONIC);
    check("monotonic does not go back", b >= a);

    long long cpu0 = now(CLOCK_PROCESS_CPUTIME_ID), thr0 = now(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long spin = 0;
    long long until = now(CLOCK_MONOTONIC) + 30000000;
    while (now(CLOCK_MONOTONIC) < until)
        spin++;
    check("process cpu time advances", now(CLOCK_PROCESS_CPUTIME_ID) > cpu0);
    check("thread cpu time advances", now(CLOCK_THREAD_CPUTIME_ID) > thr0);

    // Sleep accuracy: never early, and not grossly late (generous: a loaded 2-core machine).
    struct timespec req = {0, 100000000};
    long long t0 = now(CLOCK_MONOTONIC);
    int rc = nanosleep(&req, NULL);
    long long slept = last_measure = now(CLOCK_MONOTONIC) - t0;
    check("nanosleep 100 ms", rc == 0 && slept >= 100000000 && slept < 3000000000LL);

    t0 = now(CLOCK_MONOTONIC);
    usleep(20000);
    slept = last_measure = now(CLOCK_MONOTONIC) - t0;
    check("usleep 20 ms", slept >= 20000000 && slept < 3000000000LL);

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 50000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    check("clock_nanosleep absolute", rc == 0 && now(CLOCK_MONOTONIC) >= ns(deadline));

    t0 = now(CLOCK_MONOTONIC);
    rc = clock_nanosleep(CLOCK_REALTIME, 0, &(struct timespec){0, 30000000}, NULL);
    slept = last_measure = now(CLOCK_MONOTONIC) - t0;
    check("clock_nanosleep realtime relative", rc == 0 && slept >= 29000000);
    return 0;
}
