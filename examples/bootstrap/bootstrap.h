/* The event record bootstrap.bpf.c sends through the ring buffer and bootstrap.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32), so only fixed-width types and explicit
 * padding; the _Static_asserts pin the layout on both sides and match what
 * `wbpf gen types bootstrap.bpf.o --type event` emits. The BPF side includes vmlinux.h first. */
#ifndef BOOTSTRAP_H
#define BOOTSTRAP_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 127

struct event {
    int32_t pid;
    int32_t ppid;
    uint32_t exit_code;
    uint8_t __pad0[4];
    uint64_t duration_ns;
    char comm[TASK_COMM_LEN];
    char filename[MAX_FILENAME_LEN];
    _Bool exit_event;
};

_Static_assert(sizeof(struct event) == 168, "struct event: size differs between sides");
_Static_assert(__builtin_offsetof(struct event, pid) == 0, "struct event.pid");
_Static_assert(__builtin_offsetof(struct event, ppid) == 4, "struct event.ppid");
_Static_assert(__builtin_offsetof(struct event, exit_code) == 8, "struct event.exit_code");
_Static_assert(__builtin_offsetof(struct event, duration_ns) == 16, "struct event.duration_ns");
_Static_assert(__builtin_offsetof(struct event, comm) == 24, "struct event.comm");
_Static_assert(__builtin_offsetof(struct event, filename) == 40, "struct event.filename");
_Static_assert(__builtin_offsetof(struct event, exit_event) == 167, "struct event.exit_event");

#endif /* BOOTSTRAP_H */
