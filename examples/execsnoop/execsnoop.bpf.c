// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* execsnoop, kernel half: reports every exec with its full argument list.
 *
 * Successful execs come from sched_process_exec: the new image's argument strings lie between
 * mm->arg_start and mm->arg_end, already NUL-separated, so one read captures them exactly.
 * Failed execs (only when the user half leaves the syscall programs loaded, -x) leave no new
 * image: sys_enter_execve[at] remembers the caller's argv pointer and sys_exit_execve[at] reads
 * the strings from it when the call failed (the caller's memory is intact then). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "execsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define INVALID_UID ((u32)-1)

const volatile u32 targ_uid = INVALID_UID;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 512 * 1024);
} events SEC(".maps");

/* argv pointer of each exec in progress, by thread id (failed-exec path only). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, u64);
} pending_argv SEC(".maps");

/* Never read: puts struct event into the object's BTF for `wbpf gen types --type event`. */
const struct event* const event_type_anchor __attribute__((used)) = 0;

static __always_inline bool uid_filtered_out(void) {
    u32 uid = (u32)bpf_get_current_uid_gid();
    return targ_uid != INVALID_UID && uid != targ_uid;
}

static __always_inline void fill_common(struct event* e) {
    struct task_struct* task = (struct task_struct*)bpf_get_current_task();
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->ppid = BPF_CORE_READ(task, real_parent, tgid);
    e->uid = (u32)bpf_get_current_uid_gid();
    e->truncated = 0;
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
}

SEC("tp/sched/sched_process_exec")
int execsnoop_exec(struct trace_event_raw_sched_process_exec* ctx) {
    if (uid_filtered_out()) return 0;
    struct event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) return 0;
    fill_common(e);
    e->retval = 0;

    struct task_struct* task = (struct task_struct*)bpf_get_current_task();
    unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
    unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
    u64 size = arg_end > arg_start ? arg_end - arg_start : 0;
    if (size > ARGS_SIZE) {
        size = ARGS_SIZE;
        e->truncated = 1;
    }
    if (size == 0 || bpf_probe_read_user(e->args, size, (void*)arg_start) != 0) size = 0;
    e->args_size = size;
    bpf_ringbuf_submit(e, 0);
    return 0;
}

static __always_inline int remember_argv(u64 argv) {
    if (uid_filtered_out()) return 0;
    u32 tid = (u32)bpf_get_current_pid_tgid();
    bpf_map_update_elem(&pending_argv, &tid, &argv, BPF_ANY);
    return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int execsnoop_ent(struct trace_event_raw_sys_enter* ctx) {
    return remember_argv(ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_execveat")
int execsnoop_entat(struct trace_event_raw_sys_enter* ctx) {
    return remember_argv(ctx->args[2]);
}

static __always_inline int report_failure(long ret) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    u64* argv_ptr = bpf_map_lookup_elem(&pending_argv, &tid);
    if (!argv_ptr) return 0;
    const char* const* argv = (const char* const*)*argv_ptr;
    bpf_map_delete_elem(&pending_argv, &tid);
    if (ret >= 0) return 0; /* reported by execsnoop_exec */

    struct event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) return 0;
    fill_common(e);
    e->retval = ret;
    u32 used = 0;
    for (int i = 0; i < MAX_ARGS; i++) {
        const char* arg = NULL;
        if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) != 0 || !arg) break;
        if (used > ARGS_SIZE - ARG_MAX_LEN) {
            e->truncated = 1;
            break;
        }
        long n = bpf_probe_read_user_str(&e->args[used], ARG_MAX_LEN, arg);
        if (n <= 0) break;
        used += n;
        if (i == MAX_ARGS - 1) {
            const char* next = NULL;
            bpf_probe_read_user(&next, sizeof(next), &argv[i + 1]);
            if (next) e->truncated = 1;
        }
    }
    e->args_size = used;
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int execsnoop_ret(struct trace_event_raw_sys_exit* ctx) {
    return report_failure(ctx->ret);
}

SEC("tp/syscalls/sys_exit_execveat")
int execsnoop_retat(struct trace_event_raw_sys_exit* ctx) {
    return report_failure(ctx->ret);
}
