/* The connection record sockops.bpf.c sends through the ring buffer and sockops.c prints.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types and explicit padding;
 * the _Static_asserts pin one layout on both sides. The BPF side includes vmlinux.h first. */
#ifndef SOCKOPS_H
#define SOCKOPS_H

#ifndef __bpf__
#include <stdint.h>
#endif

/* conn_event.kind */
#define SOCKOPS_ACTIVE 1  /* a connect() of the cgroup established */
#define SOCKOPS_PASSIVE 2 /* a connection to a listener of the cgroup established */
#define SOCKOPS_CLOSE 3   /* an established connection reached TCP_CLOSE */

struct conn_event {
    uint64_t timestamp_ns;   /* bpf_ktime_get_ns() */
    uint64_t duration_ns;    /* CLOSE: time since established (0 if not seen established) */
    uint64_t bytes_received; /* CLOSE: tcp_sock.bytes_received */
    uint64_t bytes_acked;    /* CLOSE: tcp_sock.bytes_acked */
    uint32_t srtt_us;        /* smoothed RTT in microseconds */
    uint16_t local_port;     /* host byte order */
    uint16_t remote_port;    /* host byte order */
    uint8_t kind;
    uint8_t family; /* 4 or 6 */
    uint8_t __pad0[2];
    uint8_t local_addr[16]; /* IPv4: first 4 bytes; network order */
    uint8_t remote_addr[16];
    uint8_t __pad1[4];
};

_Static_assert(sizeof(struct conn_event) == 80, "struct conn_event: size differs between sides");
_Static_assert(__builtin_offsetof(struct conn_event, srtt_us) == 32, "conn_event.srtt_us");
_Static_assert(__builtin_offsetof(struct conn_event, local_port) == 36, "conn_event.local_port");
_Static_assert(__builtin_offsetof(struct conn_event, remote_port) == 38, "conn_event.remote_port");
_Static_assert(__builtin_offsetof(struct conn_event, kind) == 40, "conn_event.kind");
_Static_assert(__builtin_offsetof(struct conn_event, family) == 41, "conn_event.family");
_Static_assert(__builtin_offsetof(struct conn_event, local_addr) == 44, "conn_event.local_addr");
_Static_assert(__builtin_offsetof(struct conn_event, remote_addr) == 60, "conn_event.remote_addr");

#endif /* SOCKOPS_H */
