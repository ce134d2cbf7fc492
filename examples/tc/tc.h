/* The packet record tc.bpf.c sends through the ring buffer and tc.c prints.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types and explicit padding;
 * the _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef TC_H
#define TC_H

#ifndef __bpf__
#include <stdint.h>
#endif

/* packet.family */
#define TC_FAMILY_OTHER 0 /* not IP: only eth_proto is set */
#define TC_FAMILY_IPV4 4
#define TC_FAMILY_IPV6 6

struct packet {
    uint64_t timestamp_ns; /* bpf_ktime_get_ns() */
    uint32_t length;       /* skb->len: the whole frame, link-layer header included */
    uint16_t eth_proto;    /* host byte order, after at most one VLAN tag */
    uint8_t family;
    uint8_t ip_proto; /* IPPROTO_*: the IPv4 protocol or the IPv6 next header */
    uint16_t sport;   /* host byte order; TCP and UDP only (0 for later IPv4 fragments) */
    uint16_t dport;
    uint8_t tcp_flags; /* FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 */
    uint8_t __pad0[3];
    uint8_t saddr[16]; /* IPv4: first 4 bytes; network order */
    uint8_t daddr[16];
};

_Static_assert(sizeof(struct packet) == 56, "struct packet: size differs between sides");
_Static_assert(__builtin_offsetof(struct packet, length) == 8, "struct packet.length");
_Static_assert(__builtin_offsetof(struct packet, eth_proto) == 12, "struct packet.eth_proto");
_Static_assert(__builtin_offsetof(struct packet, family) == 14, "struct packet.family");
_Static_assert(__builtin_offsetof(struct packet, ip_proto) == 15, "struct packet.ip_proto");
_Static_assert(__builtin_offsetof(struct packet, sport) == 16, "struct packet.sport");
_Static_assert(__builtin_offsetof(struct packet, dport) == 18, "struct packet.dport");
_Static_assert(__builtin_offsetof(struct packet, tcp_flags) == 20, "struct packet.tcp_flags");
_Static_assert(__builtin_offsetof(struct packet, saddr) == 24, "struct packet.saddr");
_Static_assert(__builtin_offsetof(struct packet, daddr) == 40, "struct packet.daddr");

#endif /* TC_H */
