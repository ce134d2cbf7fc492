// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockfilter, kernel half: a socket filter on a packet socket bound to one interface (the host
 * opens and owns the socket) that counts the frames crossing it by protocol and direction.
 * It accepts nothing into the socket (returns 0), so no packet is ever queued or copied.
 *
 * The frame starts at its link-layer header (packet socket, SOCK_RAW): Ethernet-like
 * interfaces are assumed, as in libbpf-bootstrap's sockfilter. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sockfilter.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define PACKET_OUTGOING 4
#define IP_OFFSET_MASK 0x1fff

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, SOCKFILTER_MAX_KEYS);
    __type(key, struct protocol_key);
    __type(value, struct protocol_counters);
} counters SEC(".maps");

/* Set by the user half before load: count only TCP/UDP packets from or to this port (0: all). */
const volatile __u16 filter_port = 0;

/* Whether the TCP/UDP header at `offset` has filter_port as its source or destination. */
static __always_inline bool has_filter_port(struct __sk_buff* skb, __u32 offset) {
    __be16 ports[2];
    if (bpf_skb_load_bytes(skb, offset, ports, sizeof(ports)) != 0) return false;
    return ports[0] == bpf_htons(filter_port) || ports[1] == bpf_htons(filter_port);
}

SEC("socket")
int sockfilter_count(struct __sk_buff* skb) {
    struct protocol_key key = {};
    key.eth_proto = bpf_ntohs(skb->protocol);
    key.outgoing = skb->pkt_type == PACKET_OUTGOING;
    __u32 l4_offset = 0;
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        struct iphdr ip;
        if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) != 0) return 0;
        key.ip_proto = ip.protocol;
        if (!(ip.frag_off & bpf_htons(IP_OFFSET_MASK))) l4_offset = ETH_HLEN + ip.ihl * 4;
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr ip6;
        if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) != 0) return 0;
        key.ip_proto = ip6.nexthdr; /* extension headers are not followed */
        l4_offset = ETH_HLEN + sizeof(ip6);
    }
    if (filter_port) {
        bool ports = key.ip_proto == IPPROTO_TCP || key.ip_proto == IPPROTO_UDP;
        if (!ports || !l4_offset || !has_filter_port(skb, l4_offset)) return 0;
    }

    struct protocol_counters* value = bpf_map_lookup_elem(&counters, &key);
    if (!value) {
        struct protocol_counters zero = {};
        /* BPF_NOEXIST: when two CPUs race, one inserts and both then add to the same entry. */
        bpf_map_update_elem(&counters, &key, &zero, BPF_NOEXIST);
        value = bpf_map_lookup_elem(&counters, &key);
        if (!value) return 0; /* the map is full */
    }
    __sync_fetch_and_add(&value->packets, 1);
    __sync_fetch_and_add(&value->bytes, skb->len);
    return 0; /* nothing for the socket: counting is all */
}
