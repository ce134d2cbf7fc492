// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sigsnoop, kernel half: reports signals sent, with sender, target, signal and result.
 *
 * kill/tkill/tgkill are followed from entry to exit (syscalls tracepoints) so the call's
 * result is known, including failures such as ESRCH that generate no signal; signal_generate,
 * firing inside the call, adds what became of the signal (delivered, ignored, already pending).
 * Signals generated outside those calls (the kernel's SIGCHLD, SIGSEGV, timers, sigqueue) are
 * reported from signal_generate alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sigsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile pid_t filter_pid = 0;  /* sender process id, 0: all */
const volatile int filter_signal = 0; /* 0: all */
const volatile bool failed_only = false;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Calls in progress, by thread id. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, struct event);
} pending SEC(".maps");

/* Never read: puts struct event into the object's BTF for `wbpf gen types --type event`. */
const struct event* const event_type_anchor __attribute__((used)) = 0;

static __always_inline bool filtered_out(pid_t pid, int sig) {
    return (filter_pid && pid != filter_pid) || (filter_signal && sig != filter_signal);
}

static __always_inline int call_enter(int origin, pid_t tpid, int sig) {
    u64 pid_tgid = bpf_get_current_pid_tgid();
    struct event e = {};
    e.pid = pid_tgid >> 32;
    if (filtered_out(e.pid, sig)) return 0;
    e.tpid = tpid;
    e.sig = sig;
    e.origin = origin;
    e.fate = FATE_NONE;
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    u32 tid = (u32)pid_tgid;
    bpf_map_update_elem(&pending, &tid, &e, BPF_ANY);
    return 0;
}

static __always_inline int call_exit(long ret) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct event* call = bpf_map_lookup_elem(&pending, &tid);
    if (!call) return 0;
    if (!failed_only || ret < 0) {
        struct event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (e) {
            *e = *call;
            e->ret = ret;
            bpf_ringbuf_submit(e, 0);
        }
    }
    bpf_map_delete_elem(&pending, &tid);
    return 0;
}

SEC("tp/syscalls/sys_enter_kill")
int sig_kill_enter(struct trace_event_raw_sys_enter* ctx) {
    return call_enter(ORIGIN_KILL, (pid_t)ctx->args[0], (int)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_tkill")
int sig_tkill_enter(struct trace_event_raw_sys_enter* ctx) {
    return call_enter(ORIGIN_TKILL, (pid_t)ctx->args[0], (int)ctx->args[1]);
}

/* tgkill(tgid, tid, sig): the target reported is the thread. */
SEC("tp/syscalls/sys_enter_tgkill")
int sig_tgkill_ent(struct trace_event_raw_sys_enter* ctx) {
    return call_enter(ORIGIN_TGKILL, (pid_t)ctx->args[1], (int)ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_kill")
int sig_kill_exit(struct trace_event_raw_sys_exit* ctx) {
    return call_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_tkill")
int sig_tkill_exit(struct trace_event_raw_sys_exit* ctx) {
    return call_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_tgkill")
int sig_tgkill_exit(struct trace_event_raw_sys_exit* ctx) {
    return call_exit(ctx->ret);
}

SEC("tp/signal/signal_generate")
int sig_generate(struct trace_event_raw_signal_generate* ctx) {
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 tid = (u32)pid_tgid;
    struct event* call = bpf_map_lookup_elem(&pending, &tid);
    if (call) { /* inside a traced kill/tkill/tgkill: the exit reports it */
        call->fate = ctx->result;
        return 0;
    }
    pid_t pid = pid_tgid >> 32;
    int sig = ctx->sig;
    if (failed_only || filtered_out(pid, sig)) return 0;
    struct event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) return 0;
    e->pid = pid;
    e->tpid = ctx->pid;
    e->sig = sig;
    e->ret = 0;
    e->origin = ORIGIN_OTHER;
    e->fate = ctx->result;
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
    bpf_ringbuf_submit(e, 0);
    return 0;
}
