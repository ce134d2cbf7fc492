/* The per-process record procstat.bpf.c keeps in its `stats` hash map (key: tgid) and
 * procstat.c reads each interval.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, and the
 * _Static_asserts pin one layout for both. The BPF side includes vmlinux.h first. */
#ifndef PROCSTAT_H
#define PROCSTAT_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define TASK_COMM_LEN 16
#define PROCSTAT_MAX_PROCESSES 4096

/* Memory sizes in bytes, as of the process's latest context switch (switched out). RSS parts are
 * the mm's per-CPU counters' global values, the same approximation /proc/PID/status shows. */
struct proc_stat {
    uint64_t vsize;                /* mm->total_vm */
    uint64_t rss_file;             /* MM_FILEPAGES */
    uint64_t rss_anon;             /* MM_ANONPAGES */
    uint64_t rss_shmem;            /* MM_SHMEMPAGES */
    uint64_t swap;                 /* MM_SWAPENTS */
    uint64_t data;                 /* mm->data_vm */
    uint64_t stack;                /* mm->stack_vm */
    uint64_t voluntary_switches;   /* switched out blocking, since the entry was created */
    uint64_t involuntary_switches; /* switched out preempted (still runnable) */
    uint64_t updated_ns;           /* bpf_ktime_get_ns() of the latest update */
    int32_t pid;                   /* tgid */
    int32_t tid;                   /* the thread that switched out last */
    char comm[TASK_COMM_LEN];      /* that thread's command name */
};

_Static_assert(sizeof(struct proc_stat) == 104, "struct proc_stat: size differs between sides");
_Static_assert(__builtin_offsetof(struct proc_stat, voluntary_switches) == 56,
               "struct proc_stat.voluntary_switches");
_Static_assert(__builtin_offsetof(struct proc_stat, pid) == 80, "struct proc_stat.pid");
_Static_assert(__builtin_offsetof(struct proc_stat, comm) == 88, "struct proc_stat.comm");

#endif /* PROCSTAT_H */
