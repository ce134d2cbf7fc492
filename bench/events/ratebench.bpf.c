// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ratebench, kernel half: one fixed-size ring buffer record per getppid() call of one process
 * (the benchmark's generator), counting records it could not reserve. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "ratebench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* 1 MiB: about 14 500 small or 1 000 large records of slack. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1024 * 1024);
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct rate_stats);
} stats SEC(".maps");

/* Set by the consumer before load. */
const volatile __u32 target_tgid = 0;
const volatile bool large = false;

static __always_inline int emit(struct rate_stats* s, u64 seq, u32 tgid, const u32 size) {
    struct rate_record* r = bpf_ringbuf_reserve(&rb, size, 0);
    if (!r) {
        s->dropped++;
        return 0;
    }
    r->seq = seq;
    r->ktime_ns = bpf_ktime_get_ns();
    r->tgid = tgid;
    r->size = size;
#pragma unroll
    for (u32 i = 0; i < RATE_WORDS(size); i++)
        r->payload[i] = rate_payload(seq, i);
    bpf_ringbuf_submit(r, 0);
    return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void* ctx) {
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid != target_tgid) return 0;
    u32 key = 0;
    struct rate_stats* s = bpf_map_lookup_elem(&stats, &key);
    if (!s) return 0;
    u64 seq = s->attempts++;
    if (large) return emit(s, seq, tgid, RATE_RECORD_LARGE);
    return emit(s, seq, tgid, RATE_RECORD_SMALL);
}
