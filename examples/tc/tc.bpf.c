// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tc, kernel half: a classifier on one direction (ingress or egress) of an interface that logs
 * every packet (or only those to or from filter_port) to a ring buffer, and lets it through
 * unchanged (TC_ACT_UNSPEC: the next filter or the default action decides). */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TC_ACT_UNSPEC (-1)
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_OFFSET_MASK 0x1fff

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1024 * 1024);
} packets SEC(".maps");

/* Set by the user half before load: log only TCP/UDP packets from or to this port (0: all). */
const volatile __u16 filter_port = 0;

/* Packets that matched but found the ring buffer full. */
__u64 lost_packets = 0;

/* Never read: puts struct packet into the object's BTF for `wbpf gen types --type packet`. */
const struct packet* const packet_type_anchor __attribute__((used)) = 0;

/* Reads the TCP/UDP ports (and TCP flags) at l4 into *p. */
static __always_inline void read_ports(void* l4, void* data_end, struct packet* p) {
    if (p->ip_proto == IPPROTO_TCP) {
        struct tcphdr* tcp = l4;
        if ((void*)(tcp + 1) > data_end) return;
        p->sport = bpf_ntohs(tcp->source);
        p->dport = bpf_ntohs(tcp->dest);
        p->tcp_flags = ((__u8*)tcp)[13];
    } else if (p->ip_proto == IPPROTO_UDP) {
        struct udphdr* udp = l4;
        if ((void*)(udp + 1) > data_end) return;
        p->sport = bpf_ntohs(udp->source);
        p->dport = bpf_ntohs(udp->dest);
    }
}

/* Fills the headers' fields of *p from the frame at data. */
static __always_inline void parse(void* data, void* data_end, struct packet* p) {
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return;
    void* l3 = eth + 1;
    __u16 proto = eth->h_proto;
    if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
        struct vlan_hdr* vlan = l3;
        if ((void*)(vlan + 1) > data_end) return;
        proto = vlan->h_vlan_encapsulated_proto;
        l3 = vlan + 1;
    }
    p->eth_proto = bpf_ntohs(proto);
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr* ip = l3;
        if ((void*)(ip + 1) > data_end) return;
        p->family = TC_FAMILY_IPV4;
        p->ip_proto = ip->protocol;
        __builtin_memcpy(p->saddr, &ip->saddr, 4);
        __builtin_memcpy(p->daddr, &ip->daddr, 4);
        __u32 header_size = ip->ihl * 4;
        if (header_size < sizeof(*ip) || (ip->frag_off & bpf_htons(IP_OFFSET_MASK))) return;
        read_ports(l3 + header_size, data_end, p);
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr* ip6 = l3;
        if ((void*)(ip6 + 1) > data_end) return;
        p->family = TC_FAMILY_IPV6;
        p->ip_proto = ip6->nexthdr; /* extension headers are not followed */
        __builtin_memcpy(p->saddr, &ip6->saddr, 16);
        __builtin_memcpy(p->daddr, &ip6->daddr, 16);
        read_ports(ip6 + 1, data_end, p);
    }
}

SEC("tc")
int tc_log(struct __sk_buff* skb) {
    void* data = (void*)(long)skb->data;
    void* data_end = (void*)(long)skb->data_end;
    /* Headers may sit outside the linear area: pull at most what the parser reads. */
    __u32 wanted = 14 + 4 + 60 + 20; /* Ethernet, VLAN, largest IPv4 header, TCP */
    if (wanted > skb->len) wanted = skb->len;
    if (data + wanted > data_end) {
        bpf_skb_pull_data(skb, wanted); /* best effort; invalidates the packet pointers */
        data = (void*)(long)skb->data;
        data_end = (void*)(long)skb->data_end;
    }

    struct packet p = {};
    parse(data, data_end, &p);
    if (filter_port && p.sport != filter_port && p.dport != filter_port) return TC_ACT_UNSPEC;

    p.timestamp_ns = bpf_ktime_get_ns();
    p.length = skb->len;
    if (bpf_ringbuf_output(&packets, &p, sizeof(p), 0) != 0) __sync_fetch_and_add(&lost_packets, 1);
    return TC_ACT_UNSPEC;
}
