// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* runqlat, kernel half: run-queue latency, the time from a task becoming runnable (woken, or
 * preempted while still runnable) to it running, as log2 histograms.
 *
 * Every event has two programs: tp_btf (typed arguments, preferred) and raw_tp (the fallback
 * for kernels that cannot attach tp_btf). The user half loads one set; task fields are read
 * with CO-RE, which works for both. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "runqlat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0

const volatile bool targ_per_process = false;
const volatile bool targ_ms = false;
const volatile pid_t targ_tgid = 0;

/* When each runnable task was queued, by thread id. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, u64);
} start SEC(".maps");

/* Histograms by process id (-P) or ALL_TASKS_KEY; the user half reads and deletes them. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, struct hist);
} hists SEC(".maps");

static struct hist zero_hist;

/* Never read: puts struct hist into the object's BTF for `wbpf gen types --type hist`. */
const struct hist* const hist_type_anchor __attribute__((used)) = 0;

static __always_inline int enqueue(struct task_struct* task) {
    u32 tgid = BPF_CORE_READ(task, tgid);
    u32 pid = BPF_CORE_READ(task, pid);
    if (!pid) return 0; /* the idle task */
    if (targ_tgid && (pid_t)tgid != targ_tgid) return 0;
    u64 ts = bpf_ktime_get_ns();
    bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
    return 0;
}

static __always_inline u32 log2_u64(u64 v) {
    u32 r = 0;
    for (int i = 0; i < 64 && v > 1; i++) {
        v >>= 1;
        r++;
    }
    return r;
}

static __always_inline int switch_to(struct task_struct* prev, struct task_struct* next,
                                     unsigned int prev_state) {
    /* Preempted while runnable: it is back on the run queue from now. */
    if (prev_state == TASK_RUNNING) enqueue(prev);

    u32 pid = BPF_CORE_READ(next, pid);
    u64* queued = bpf_map_lookup_elem(&start, &pid);
    if (!queued) return 0;
    u64 now = bpf_ktime_get_ns();
    s64 delta = (s64)(now - *queued);
    bpf_map_delete_elem(&start, &pid);
    if (delta < 0) return 0;

    u32 key = targ_per_process ? (u32)BPF_CORE_READ(next, tgid) : ALL_TASKS_KEY;
    struct hist* hist = bpf_map_lookup_elem(&hists, &key);
    if (!hist) {
        bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
        hist = bpf_map_lookup_elem(&hists, &key);
        if (!hist) return 0;
    }
    if (targ_per_process) bpf_probe_read_kernel_str(hist->comm, sizeof(hist->comm), next->comm);

    u64 units = targ_ms ? (u64)delta / 1000000 : (u64)delta / 1000;
    u32 slot = units ? log2_u64(units) + 1 : 0;
    if (slot >= MAX_SLOTS) slot = MAX_SLOTS - 1;
    __sync_fetch_and_add(&hist->slots[slot], 1);
    return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(rq_btf_wakeup, struct task_struct* p) {
    return enqueue(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(rq_btf_wake_new, struct task_struct* p) {
    return enqueue(p);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(rq_btf_switch, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
    return switch_to(prev, next, prev_state);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(rq_raw_wakeup, struct task_struct* p) {
    return enqueue(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(rq_raw_wake_new, struct task_struct* p) {
    return enqueue(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(rq_raw_switch, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
    return switch_to(prev, next, prev_state);
}
