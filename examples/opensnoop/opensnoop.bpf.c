// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* opensnoop, kernel half: reports open(2), openat(2) and openat2(2) calls with their result.
 * Entry tracepoints remember the path pointer and flags by thread; the exit tracepoint sends
 * one record per call through a perf event array. The user half sets the filters before load. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "opensnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* 0: every process. */
const volatile int32_t targ_tgid = 0;
/* Only calls that failed. */
const volatile bool targ_failed = false;

struct open_args {
    const char* path;
    int32_t flags;
};

/* Calls in progress, by thread id. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, struct open_args);
} in_flight SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(u32));
    __uint(value_size, sizeof(u32));
} events SEC(".maps");

/* Never read: puts struct event into the object's BTF for `wbpf gen types --type event`. */
const struct event* const event_type_anchor __attribute__((used)) = 0;

static __always_inline int remember(const char* path, int32_t flags) {
    u64 id = bpf_get_current_pid_tgid();
    if (targ_tgid && (u32)(id >> 32) != (u32)targ_tgid) return 0;
    u32 tid = (u32)id;
    struct open_args args = {.path = path, .flags = flags};
    bpf_map_update_elem(&in_flight, &tid, &args, BPF_ANY);
    return 0;
}

static __always_inline int report(void* ctx, long ret) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    struct open_args* args = bpf_map_lookup_elem(&in_flight, &tid);
    if (!args) return 0; /* filtered out at entry, or entered before we attached */
    if (targ_failed && ret >= 0) goto done;

    struct event e = {};
    e.ts_ns = bpf_ktime_get_ns();
    e.pid = id >> 32;
    e.uid = (u32)bpf_get_current_uid_gid();
    e.ret = (int32_t)ret;
    e.flags = args->flags;
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    /* At exit the kernel has already faulted the path in, so this read rarely fails. */
    bpf_probe_read_user_str(&e.path, sizeof(e.path), args->path);
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
done:
    bpf_map_delete_elem(&in_flight, &tid);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter* ctx) {
    return remember((const char*)ctx->args[0], (int32_t)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter* ctx) {
    return remember((const char*)ctx->args[1], (int32_t)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter* ctx) {
    u64 flags = 0;
    struct open_how* how = (struct open_how*)ctx->args[2];
    bpf_probe_read_user(&flags, sizeof(flags), &how->flags);
    return remember((const char*)ctx->args[1], (int32_t)flags);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit* ctx) {
    return report(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit* ctx) {
    return report(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit* ctx) {
    return report(ctx, ctx->ret);
}
