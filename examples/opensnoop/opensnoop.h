/* The event record opensnoop.bpf.c sends through the perf event array and opensnoop.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, and the
 * _Static_asserts pin one layout for both. The BPF side includes vmlinux.h first. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
#define OPENSNOOP_PATH_LEN 256

struct event {
    uint64_t ts_ns; /* bpf_ktime_get_ns() at syscall exit */
    int32_t pid;    /* tgid */
    uint32_t uid;
    int32_t ret;   /* fd, or -errno */
    int32_t flags; /* open flags */
    char comm[TASK_COMM_LEN];
    char path[OPENSNOOP_PATH_LEN]; /* NUL-terminated unless truncated */
};

_Static_assert(sizeof(struct event) == 296, "struct event: size differs between sides");
_Static_assert(__builtin_offsetof(struct event, pid) == 8, "struct event.pid");
_Static_assert(__builtin_offsetof(struct event, ret) == 16, "struct event.ret");
_Static_assert(__builtin_offsetof(struct event, comm) == 24, "struct event.comm");
_Static_assert(__builtin_offsetof(struct event, path) == 40, "struct event.path");

#endif /* OPENSNOOP_H */
