// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procstat, kernel half: at every context switch, the process of the task switched out gets its
 * memory figures (vsize, RSS file/anon/shmem, swap, data, stack) refreshed and its voluntary or
 * involuntary switch count bumped in the `stats` map (key: tgid). Entries go when the process
 * exits. The user half reads the map every interval. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "procstat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PAGE_SHIFT 12 /* x86-64 */

/* 0: every process. */
const volatile int32_t targ_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, PROCSTAT_MAX_PROCESSES);
    __type(key, s32);
    __type(value, struct proc_stat);
} stats SEC(".maps");

/* Never read: puts struct proc_stat into the object's BTF for `wbpf gen types`. */
const struct proc_stat* const proc_stat_type_anchor __attribute__((used)) = 0;

/* Pages counted by one of the mm's RSS counters. Since 6.2 they are per-CPU counters; .count is
 * their global value, which /proc/PID/status also shows (clamped at 0 the same way). */
static __always_inline u64 rss_pages(struct mm_struct* mm, int counter) {
    s64 count = BPF_CORE_READ(mm, rss_stat[counter].count);
    return count > 0 ? (u64)count : 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
    struct mm_struct* mm = BPF_CORE_READ(prev, mm);
    if (!mm) return 0; /* a kernel thread */
    s32 tgid = BPF_CORE_READ(prev, tgid);
    if (targ_tgid && tgid != targ_tgid) return 0;

    struct proc_stat* s = bpf_map_lookup_elem(&stats, &tgid);
    if (!s) {
        struct proc_stat fresh = {.pid = tgid};
        bpf_map_update_elem(&stats, &tgid, &fresh, BPF_NOEXIST);
        s = bpf_map_lookup_elem(&stats, &tgid);
        if (!s) return 0;
    }
    s->vsize = BPF_CORE_READ(mm, total_vm) << PAGE_SHIFT;
    s->rss_file = rss_pages(mm, MM_FILEPAGES) << PAGE_SHIFT;
    s->rss_anon = rss_pages(mm, MM_ANONPAGES) << PAGE_SHIFT;
    s->rss_shmem = rss_pages(mm, MM_SHMEMPAGES) << PAGE_SHIFT;
    s->swap = rss_pages(mm, MM_SWAPENTS) << PAGE_SHIFT;
    s->data = BPF_CORE_READ(mm, data_vm) << PAGE_SHIFT;
    s->stack = BPF_CORE_READ(mm, stack_vm) << PAGE_SHIFT;
    /* The kernel's own rule (nvcsw/nivcsw): voluntary when it blocks, not when preempted. */
    if (!preempt && prev_state != 0)
        __sync_fetch_and_add(&s->voluntary_switches, 1);
    else
        __sync_fetch_and_add(&s->involuntary_switches, 1);
    s->updated_ns = bpf_ktime_get_ns();
    s->tid = BPF_CORE_READ(prev, pid);
    BPF_CORE_READ_STR_INTO(&s->comm, prev, comm);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct* task, bool group_dead) {
    if (!group_dead) return 0; /* other threads of the process live on */
    s32 tgid = BPF_CORE_READ(task, tgid);
    bpf_map_delete_elem(&stats, &tgid);
    return 0;
}
