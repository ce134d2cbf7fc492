// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* profile, kernel half: on every sample of a cpu-clock perf event (the host opens one per CPU,
 * see the attach target in profile.c), records the interrupted task's user and kernel stacks
 * in a stack-trace map and counts (process, user stack, kernel stack) in a hash map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "profile.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, PROFILE_STACK_ENTRIES);
    __uint(key_size, sizeof(u32));
    __uint(value_size, PROFILE_MAX_STACK_DEPTH * sizeof(u64));
} stacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct sample_key);
    __type(value, u64);
} counts SEC(".maps");

const volatile u32 target_pid = 0; /* 0: every process */
const volatile bool user_only = false;
const volatile bool kernel_only = false;
const volatile bool include_idle = false;

SEC("perf_event")
int do_sample(struct bpf_perf_event_data* ctx) {
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = (u32)id;
    if (tid == 0 && !include_idle) return 0; /* the idle task: nothing ran */
    if (target_pid && pid != target_pid) return 0;

    struct sample_key key = {.pid = pid, .user_stack_id = -1, .kernel_stack_id = -1};
    bpf_get_current_comm(key.comm, sizeof(key.comm));
    if (!kernel_only) key.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    if (!user_only) key.kernel_stack_id = bpf_get_stackid(ctx, &stacks, 0);

    u64 one = 1;
    u64* count = bpf_map_lookup_elem(&counts, &key);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
    return 0;
}
