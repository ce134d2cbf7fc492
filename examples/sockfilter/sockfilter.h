/* The per-protocol counters sockfilter.bpf.c keeps and sockfilter.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, and the
 * _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef SOCKFILTER_H
#define SOCKFILTER_H

#ifndef __bpf__
#include <stdint.h>
#endif

#define SOCKFILTER_MAX_KEYS 1024

/* A protocol in one direction. eth_proto is the frame's EtherType (host order); ip_proto the
 * IPv4 protocol or IPv6 next header for IP frames, else 0. */
struct protocol_key {
    uint16_t eth_proto;
    uint8_t ip_proto;
    uint8_t outgoing; /* 1: sent by this host (PACKET_OUTGOING), 0: received */
};

struct protocol_counters {
    uint64_t packets;
    uint64_t bytes; /* skb->len: link-layer header included */
};

_Static_assert(sizeof(struct protocol_key) == 4, "struct protocol_key: size differs");
_Static_assert(__builtin_offsetof(struct protocol_key, outgoing) == 3, "protocol_key.outgoing");
_Static_assert(sizeof(struct protocol_counters) == 16, "struct protocol_counters: size");

#endif /* SOCKFILTER_H */
