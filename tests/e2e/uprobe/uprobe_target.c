/* The native program the uprobe e2e test probes: calls add() and scale() with known values.
 * Built with -O0 and noinline so every call is a real call with its arguments in registers.
 * With --wait it first reads one line from stdin, so the test can learn its pid beforehand. */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) int add(int a, int b) {
    return a + b;
}

__attribute__((noinline)) long scale(long value, long factor) {
    return value * factor;
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
        char line[16];
        if (!fgets(line, sizeof line, stdin)) return 1;
    }
    static const int pairs[][2] = {{1, 2}, {-3, 10}, {1000, 234}, {7, -7}, {2147483600, 47}};
    long total = 0;
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        total += add(pairs[i][0], pairs[i][1]);
    total += scale(-5000000000L, 3);
    printf("%ld\n", total);
    return 0;
}
