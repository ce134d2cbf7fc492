/* The per-source counters xdp.bpf.c keeps and xdp.c reads.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, and the
 * _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef XDP_H
#define XDP_H

#ifndef __bpf__
#include <stdint.h>
#endif

/* Source families a key can have. Non-IP frames (ARP, LLDP...) share one key with no address. */
#define XDP_SOURCE_OTHER 0
#define XDP_SOURCE_IPV4 4
#define XDP_SOURCE_IPV6 6

#define XDP_MAX_SOURCES 10240

/* A packet source: an IPv4 address (first 4 bytes of addr, network order), an IPv6 address,
 * or XDP_SOURCE_OTHER with an all-zero address. */
struct source_key {
    uint8_t family;
    uint8_t __pad0[3];
    uint8_t addr[16];
};

struct source_counters {
    uint64_t packets;
    uint64_t bytes; /* frame bytes, link-layer header included */
};

_Static_assert(sizeof(struct source_key) == 20, "struct source_key: size differs between sides");
_Static_assert(__builtin_offsetof(struct source_key, addr) == 4, "struct source_key.addr");
_Static_assert(sizeof(struct source_counters) == 16, "struct source_counters: size");
_Static_assert(__builtin_offsetof(struct source_counters, bytes) == 8, "source_counters.bytes");

#endif /* XDP_H */
