/* Recursive calls: naive Fibonacci, two calls per level, almost no work between calls. */
#include "bench.h"

static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
    uint32_t n = (uint32_t)bench_size(argc, argv, 40);
    printf("fib(%u) = %u\n", n, fib(n));
    return 0;
}
