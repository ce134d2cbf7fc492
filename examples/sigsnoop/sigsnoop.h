/* The event record sigsnoop.bpf.c sends through the ring buffer and sigsnoop.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types and explicit padding
 * only; the _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef SIGSNOOP_H
#define SIGSNOOP_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16

/* How the signal was sent. */
enum sig_origin {
    ORIGIN_KILL = 0,   /* kill(2) */
    ORIGIN_TKILL = 1,  /* tkill(2) */
    ORIGIN_TGKILL = 2, /* tgkill(2) */
    ORIGIN_OTHER = 3,  /* generated elsewhere: the kernel (SIGCHLD, faults, timers), sigqueue... */
};

/* What signal_generate said about the signal; FATE_NONE when it did not fire (the call failed
 * before a signal was generated, or signal 0 only checked permissions). The other values are
 * the kernel's TRACE_SIGNAL_* results. */
enum sig_fate {
    FATE_NONE = -1,
    FATE_DELIVERED = 0,
    FATE_IGNORED = 1,
    FATE_ALREADY_PENDING = 2,
    FATE_OVERFLOW_FAIL = 3,
    FATE_LOSE_INFO = 4,
};

struct event {
    int32_t pid;  /* sender (process id of the current task) */
    int32_t tpid; /* target as given to the call (kill: may be <= 0 for groups) */
    int32_t sig;
    int32_t ret;    /* the system call's result: 0 or -errno (Linux numbering); 0 for OTHER */
    int32_t origin; /* enum sig_origin */
    int32_t fate;   /* enum sig_fate, of the last signal the call generated */
    char comm[TASK_COMM_LEN];
};

_Static_assert(sizeof(struct event) == 40, "struct event: size differs between sides");
_Static_assert(__builtin_offsetof(struct event, fate) == 20, "struct event.fate");
_Static_assert(__builtin_offsetof(struct event, comm) == 24, "struct event.comm");

#endif /* SIGSNOOP_H */
