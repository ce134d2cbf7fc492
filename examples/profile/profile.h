/* The key of profile's sample counts, shared by profile.bpf.c and profile.c.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32), so only fixed-width types; the
 * _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef PROFILE_H
#define PROFILE_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
/* Distinct stacks the stack-trace map holds. */
#define PROFILE_STACK_ENTRIES 16384
/* Frames kept per stack: the kernel's default perf_event_max_stack. */
#define PROFILE_MAX_STACK_DEPTH 127

/* One distinct (process, user stack, kernel stack); the counts map holds how often it was
 * sampled. A stack id < 0 means that stack was not collected (-EFAULT: none, e.g. a kernel
 * thread's user stack; -EEXIST/-ENOMEM: the stack map was full). */
struct sample_key {
    uint32_t pid; /* thread group id (process) */
    int32_t user_stack_id;
    int32_t kernel_stack_id;
    char comm[TASK_COMM_LEN];
};

_Static_assert(sizeof(struct sample_key) == 28, "struct sample_key: size differs between sides");
_Static_assert(__builtin_offsetof(struct sample_key, user_stack_id) == 4, "user_stack_id");
_Static_assert(__builtin_offsetof(struct sample_key, kernel_stack_id) == 8, "kernel_stack_id");
_Static_assert(__builtin_offsetof(struct sample_key, comm) == 12, "comm");

#endif /* PROFILE_H */
