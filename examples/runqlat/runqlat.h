/* The histogram runqlat.bpf.c fills in its `hists` map and runqlat.c reads and clears.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only; the
 * _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef RUNQLAT_H
#define RUNQLAT_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
/* Slot i counts latencies in [2^(i-1), 2^i) units (slot 0: 0); the last slot also counts
 * everything longer. */
#define MAX_SLOTS 26
/* The key of the single histogram when not per process (-P). */
#define ALL_TASKS_KEY 0xffffffffu

struct hist {
    uint32_t slots[MAX_SLOTS];
    char comm[TASK_COMM_LEN]; /* per process: the command of the task last counted */
};

_Static_assert(sizeof(struct hist) == 4 * MAX_SLOTS + TASK_COMM_LEN, "struct hist: size");
_Static_assert(__builtin_offsetof(struct hist, comm) == 4 * MAX_SLOTS, "struct hist.comm");

#endif /* RUNQLAT_H */
