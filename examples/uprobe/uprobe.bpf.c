// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uprobe, kernel half: a uprobe and a uretprobe on one user-space function, chosen at run time
 * (the user half gives both programs the attach target "[pid:]binary:symbol"). The entry
 * program keeps the argument registers by thread; the return program sends them with the
 * return value through a ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "uprobe.h"

/* This libbpf's bpf_tracing.h stops at PT_REGS_PARM5; x86-64 passes the sixth in r9. */
#ifndef PT_REGS_PARM6
#define PT_REGS_PARM6(x) (((const struct pt_regs*)(x))->r9)
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct call {
    u64 args[UPROBE_MAX_ARGS];
    u64 start_ns;
};

/* Calls in progress, by thread id. Recursion keeps only the innermost call's arguments. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, struct call);
} in_flight SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/* Never read: puts struct event into the object's BTF for `wbpf gen types --type event`. */
const struct event* const event_type_anchor __attribute__((used)) = 0;

SEC("uprobe")
int BPF_KPROBE(uprobe_entry) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct call call = {
        .args = {PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), PT_REGS_PARM4(ctx),
                 PT_REGS_PARM5(ctx), PT_REGS_PARM6(ctx)},
        .start_ns = bpf_ktime_get_ns(),
    };
    bpf_map_update_elem(&in_flight, &tid, &call, BPF_ANY);
    return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uprobe_return) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    struct call* call = bpf_map_lookup_elem(&in_flight, &tid);
    if (!call) return 0; /* entered before we attached */

    struct event* e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
    if (e) {
        for (int i = 0; i < UPROBE_MAX_ARGS; i++)
            e->args[i] = call->args[i];
        e->ret = PT_REGS_RC(ctx);
        e->duration_ns = bpf_ktime_get_ns() - call->start_ns;
        e->pid = id >> 32;
        e->tid = tid;
        bpf_get_current_comm(&e->comm, sizeof(e->comm));
        bpf_ringbuf_submit(e, 0);
    }
    bpf_map_delete_elem(&in_flight, &tid);
    return 0;
}
