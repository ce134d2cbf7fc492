// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xdp, kernel half: counts the packets and bytes every source IP address sends to the interface
 * the program is attached to. Every frame is passed on unchanged (XDP_PASS). */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

/* LRU: a flood of new sources evicts the quietest ones instead of going uncounted. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XDP_MAX_SOURCES);
    __type(key, struct source_key);
    __type(value, struct source_counters);
} counters SEC(".maps");

/* Fills *key from the frame; false if the frame is too short for the header it announces. */
static __always_inline bool source_of(void* data, void* data_end, struct source_key* key) {
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return false;
    void* l3 = eth + 1;
    __u16 proto = eth->h_proto;
    if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
        struct vlan_hdr* vlan = l3;
        if ((void*)(vlan + 1) > data_end) return false;
        proto = vlan->h_vlan_encapsulated_proto;
        l3 = vlan + 1;
    }
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr* ip = l3;
        if ((void*)(ip + 1) > data_end) return false;
        key->family = XDP_SOURCE_IPV4;
        __builtin_memcpy(key->addr, &ip->saddr, 4);
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr* ip6 = l3;
        if ((void*)(ip6 + 1) > data_end) return false;
        key->family = XDP_SOURCE_IPV6;
        __builtin_memcpy(key->addr, &ip6->saddr, 16);
    } else {
        key->family = XDP_SOURCE_OTHER;
    }
    return true;
}

SEC("xdp")
int xdp_count(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct source_key key = {};
    if (!source_of(data, data_end, &key)) key.family = XDP_SOURCE_OTHER;

    __u64 bytes = data_end - data;
    struct source_counters* value = bpf_map_lookup_elem(&counters, &key);
    if (value) {
        __sync_fetch_and_add(&value->packets, 1);
        __sync_fetch_and_add(&value->bytes, bytes);
        return XDP_PASS;
    }
    struct source_counters initial = {.packets = 1, .bytes = bytes};
    /* Two CPUs may both miss: BPF_NOEXIST lets one insert, the other adds to its entry. */
    if (bpf_map_update_elem(&counters, &key, &initial, BPF_NOEXIST) != 0) {
        value = bpf_map_lookup_elem(&counters, &key);
        if (value) {
            __sync_fetch_and_add(&value->packets, 1);
            __sync_fetch_and_add(&value->bytes, bytes);
        }
    }
    return XDP_PASS;
}
