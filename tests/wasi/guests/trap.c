// Traps (unreachable) three calls deep: wbpf must print one trap line and a backtrace.
#include <stdio.h>

__attribute__((noinline)) static void explode(int depth) {
    if (depth == 0) __builtin_trap();
    explode(depth - 1);
    printf("unreachable %d\n", depth);
}

int main(void) {
    explode(2);
    return 0;
}
