// A process for profile's e2e test to sample: spins in wbpf_test_busy_loop (a global, not
// inlined function, built with frame pointers) until killed. Prints "ready <pid>" first.
#include <stdio.h>
#include <unistd.h>

volatile unsigned long wbpf_test_sink;

__attribute__((noinline)) void wbpf_test_busy_loop(unsigned long iterations) {
    for (unsigned long i = 0; i < iterations; i++)
        wbpf_test_sink += i;
}

int main(void) {
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (;;)
        wbpf_test_busy_loop(1ul << 24);
}
