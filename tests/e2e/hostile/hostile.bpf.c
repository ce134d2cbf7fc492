// The BPF half of the hostile-guest suite: a little of everything the wasm_bpf imports deal
// with, and a trigger the guest can pull from inside the sandbox.
//
// Trigger: the guest deletes key TRIGGER_KEY from `trigger` (an array, so the kernel answers
// -EINVAL). hx_trigger sees the bpf(BPF_MAP_DELETE_ELEM) syscall, reads the key from user
// memory and emits: one big event (> 4 KiB) on ring buffer `big_events`, one small event on
// `small_events`, one on the perf event array `perf_events`.
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

#include "hostile_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} big_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} small_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} trigger SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct hx_pair);
} pairs SEC(".maps");

const volatile __u32 small_magic = 0; // .rodata, set by nobody: stays 0
__u64 triggers_seen = 0;              // .bss, read by the guest after a trigger

/* The syscalls:sys_enter_* tracepoint layout (format file), without vmlinux.h. */
struct sys_enter_args {
    __u64 common;
    long id;
    unsigned long args[6];
};

SEC("tp/syscalls/sys_enter_bpf")
int hx_trigger(struct sys_enter_args* ctx) {
    if (ctx->args[0] != BPF_MAP_DELETE_ELEM) return 0;
    union bpf_attr attr;
    if (bpf_probe_read_user(&attr, sizeof(attr.key) + 8, (void*)ctx->args[1])) return 0;
    __u32 key = 0;
    if (bpf_probe_read_user(&key, sizeof key, (void*)(unsigned long)attr.key)) return 0;
    if (key != HX_TRIGGER_KEY) return 0;
    __sync_fetch_and_add(&triggers_seen, 1);

    struct hx_big_event* big = bpf_ringbuf_reserve(&big_events, sizeof *big, 0);
    if (big) {
        big->magic = HX_BIG_MAGIC;
        for (__u32 i = 0; i < HX_BIG_WORDS; i++)
            big->words[i] = hx_pattern(i);
        bpf_ringbuf_submit(big, 0);
    }
    struct hx_small_event* small = bpf_ringbuf_reserve(&small_events, sizeof *small, 0);
    if (small) {
        small->magic = HX_SMALL_MAGIC + small_magic;
        small->sequence = triggers_seen;
        bpf_ringbuf_submit(small, 0);
    }
    struct hx_small_event perf = {HX_PERF_MAGIC, triggers_seen};
    bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &perf, sizeof perf);
    return 0;
}

SEC("xdp")
int hx_xdp(struct xdp_md* ctx) {
    return XDP_PASS;
}

SEC("tc")
int hx_tc(struct __sk_buff* skb) {
    return 0; /* TC_ACT_OK */
}

SEC("socket")
int hx_socket(struct __sk_buff* skb) {
    return 0; /* drop everything: the socket stays empty */
}

SEC("cgroup_skb/ingress")
int hx_cgroup(struct __sk_buff* skb) {
    return 1;
}

SEC("uprobe")
int hx_uprobe(void* ctx) {
    return 0;
}

SEC("kprobe/do_nanosleep")
int hx_kprobe(void* ctx) {
    return 0;
}
