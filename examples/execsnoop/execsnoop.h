/* The event record execsnoop.bpf.c sends through the ring buffer and execsnoop.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types and explicit padding
 * only; the _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
/* Bytes of the argument strings (NUL-separated, as in the new process's memory) captured. */
#define ARGS_SIZE 4096
/* Failed execs: arguments are read one by one from the caller's argv, each up to this size. */
#define ARG_MAX_LEN 256
#define MAX_ARGS 64

struct event {
    int32_t pid;
    int32_t ppid;
    uint32_t uid;
    int32_t retval;     /* 0, or the failed execve's -errno (Linux numbering) */
    uint32_t args_size; /* bytes used in args */
    uint8_t truncated;  /* more arguments than args could hold */
    uint8_t __pad0[3];
    char comm[TASK_COMM_LEN];
    char args[ARGS_SIZE];
};

_Static_assert(sizeof(struct event) == 40 + ARGS_SIZE, "struct event: size differs");
_Static_assert(__builtin_offsetof(struct event, args_size) == 16, "struct event.args_size");
_Static_assert(__builtin_offsetof(struct event, truncated) == 20, "struct event.truncated");
_Static_assert(__builtin_offsetof(struct event, comm) == 24, "struct event.comm");
_Static_assert(__builtin_offsetof(struct event, args) == 40, "struct event.args");

#endif /* EXECSNOOP_H */
