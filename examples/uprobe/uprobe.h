/* The call record uprobe.bpf.c sends through the ring buffer and uprobe.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, and the
 * _Static_asserts pin one layout for both. The BPF side includes vmlinux.h first. */
#ifndef UPROBE_H
#define UPROBE_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
#define UPROBE_MAX_ARGS 6 /* passed in registers on x86-64 */

struct event {
    uint64_t args[UPROBE_MAX_ARGS]; /* argument registers at entry, raw */
    uint64_t ret;                   /* return register at exit, raw */
    uint64_t duration_ns;
    int32_t pid; /* tgid */
    int32_t tid;
    char comm[TASK_COMM_LEN];
};

_Static_assert(sizeof(struct event) == 88, "struct event: size differs between sides");
_Static_assert(__builtin_offsetof(struct event, ret) == 48, "struct event.ret");
_Static_assert(__builtin_offsetof(struct event, duration_ns) == 56, "struct event.duration_ns");
_Static_assert(__builtin_offsetof(struct event, pid) == 64, "struct event.pid");
_Static_assert(__builtin_offsetof(struct event, comm) == 72, "struct event.comm");

#endif /* UPROBE_H */
