// Sleeps (argv[1] == "sleep", 600 s: far longer than any test waits) or spins forever (argv[1] ==
// "spin"), for the signal tests. Prints "ready" first so the test knows the guest is running, and
// how sleep() ended.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    printf("ready\n");
    fflush(stdout);
    if (strcmp(argv[1], "sleep") == 0) {
        unsigned left = sleep(600);
        printf("sleep returned %s\n", left ? "early" : "after 600 s");
        return left ? 5 : 0;
    }
    volatile unsigned long n = 0;
    for (;;)
        n++;
}
