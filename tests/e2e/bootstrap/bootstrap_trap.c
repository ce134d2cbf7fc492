/* Test guest: loads and attaches bootstrap's BPF object, says "attached", waits for a line on
 * stdin (so the test can look at the kernel's state), then traps. Everything it loaded must be
 * released by the runtime. */
#include <stdio.h>

#include "bootstrap.skel.h"

int main(void) {
    struct bootstrap_bpf* skel = bootstrap_bpf__open_and_load();
    if (!skel) {
        fprintf(stderr, "bootstrap_trap: load failed\n");
        return 1;
    }
    if (bootstrap_bpf__attach(skel) != 0) {
        fprintf(stderr, "bootstrap_trap: attach failed\n");
        return 1;
    }
    printf("attached\n");
    fflush(stdout);
    (void)getchar();
    __builtin_trap();
}
