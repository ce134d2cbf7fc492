// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockops, kernel half: a cgroup sock_ops program that reports every TCP connection of the
 * cgroup (and its descendants) when it is established, actively or passively, and when it
 * closes, with its addresses, ports, bytes and lifetime. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sockops.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* When each open connection was established, by socket cookie. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, __u64);
} established_at SEC(".maps");

/* Events that found the ring buffer full. */
__u64 lost_events = 0;

/* Never read: puts struct conn_event into the object's BTF for `wbpf gen types`. */
const struct conn_event* const conn_event_type_anchor __attribute__((used)) = 0;

static __always_inline void report(struct bpf_sock_ops* skops, __u8 kind, __u64 now,
                                   __u64 established) {
    struct conn_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&lost_events, 1);
        return;
    }
    __builtin_memset(e, 0, sizeof(*e));
    e->timestamp_ns = now;
    e->kind = kind;
    e->srtt_us = skops->srtt_us >> 3; /* the kernel keeps it scaled by 8 */
    e->local_port = skops->local_port;
    /* remote_port holds the network-order port in its upper 16 bits (little endian). */
    e->remote_port = bpf_ntohl(skops->remote_port);
    if (skops->family == AF_INET) {
        e->family = 4;
        __u32 local = skops->local_ip4, remote = skops->remote_ip4;
        __builtin_memcpy(e->local_addr, &local, 4);
        __builtin_memcpy(e->remote_addr, &remote, 4);
    } else {
        e->family = 6;
        __u32 local[4] = {skops->local_ip6[0], skops->local_ip6[1], skops->local_ip6[2],
                          skops->local_ip6[3]};
        __u32 remote[4] = {skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2],
                           skops->remote_ip6[3]};
        __builtin_memcpy(e->local_addr, local, 16);
        __builtin_memcpy(e->remote_addr, remote, 16);
    }
    if (kind == SOCKOPS_CLOSE) {
        e->bytes_received = skops->bytes_received;
        e->bytes_acked = skops->bytes_acked;
        if (established) e->duration_ns = now - established;
    }
    bpf_ringbuf_submit(e, 0);
}

SEC("sockops")
int sockops_track(struct bpf_sock_ops* skops) {
    if (skops->family != AF_INET && skops->family != AF_INET6) return 1;
    __u64 now = bpf_ktime_get_ns();
    switch (skops->op) {
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
    case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: {
        __u64 cookie = bpf_get_socket_cookie(skops);
        bpf_map_update_elem(&established_at, &cookie, &now, BPF_ANY);
        /* Ask for state changes of this socket, to see it close. */
        bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
        report(skops,
               skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ? SOCKOPS_ACTIVE : SOCKOPS_PASSIVE,
               now, 0);
        break;
    }
    case BPF_SOCK_OPS_STATE_CB:
        if (skops->args[1] == BPF_TCP_CLOSE) {
            __u64 cookie = bpf_get_socket_cookie(skops);
            __u64* established = bpf_map_lookup_elem(&established_at, &cookie);
            report(skops, SOCKOPS_CLOSE, now, established ? *established : 0);
            bpf_map_delete_elem(&established_at, &cookie);
        }
        break;
    default: break;
    }
    return 1;
}
