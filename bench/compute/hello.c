/* Start-up: the smallest useful program, for process start-up time and peak RSS. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
