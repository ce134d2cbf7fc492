/* The records ratebench.bpf.c sends and both ratebench consumers (ratebench.c, a wasm guest, and
 * ratebench_native.c) read, plus the user-space work both do per record.
 *
 * Shared by the BPF compiler (LP64) and wasm32 (ILP32): fixed-width types only, layout pinned by
 * the _Static_asserts. The BPF side includes vmlinux.h first. */
#ifndef RATEBENCH_H
#define RATEBENCH_H

#ifndef __bpf__
#include <stdint.h>
#endif

/* Record sizes the BPF side can emit (chosen before load with `large`). */
#define RATE_RECORD_SMALL 64
#define RATE_RECORD_LARGE 1024
#define RATE_HEADER_SIZE 24
#define RATE_WORDS(size) (((size)-RATE_HEADER_SIZE) / 8)

/* Every record: a header, then RATE_WORDS(size) payload words, word i = rate_payload(seq, i). */
struct rate_record {
    uint64_t seq;      /* 0, 1, 2, ... per attempted record (reserve failures leave gaps) */
    uint64_t ktime_ns; /* bpf_ktime_get_ns() at the syscall */
    uint32_t tgid;     /* the generator */
    uint32_t size;     /* RATE_RECORD_SMALL or RATE_RECORD_LARGE */
    uint64_t payload[];
};

/* The one entry of the `stats` array map: written by the BPF side (one generator thread, so
 * plain increments), read by the consumers when they stop. */
struct rate_stats {
    uint64_t attempts; /* records the BPF side tried to reserve */
    uint64_t dropped;  /* bpf_ringbuf_reserve failures: the ring buffer was full */
};

_Static_assert(sizeof(struct rate_record) == RATE_HEADER_SIZE, "struct rate_record: size");
_Static_assert(__builtin_offsetof(struct rate_record, payload) == 24, "rate_record.payload");
_Static_assert(sizeof(struct rate_stats) == 16, "struct rate_stats: size");

static inline uint64_t rate_payload(uint64_t seq, uint64_t index) {
    return (seq * 0x9E3779B97F4A7C15ULL) ^ (index << 32) ^ index;
}

#ifndef __bpf__
/* What a consumer keeps: both consumers run rate_consume() on every record, so the user-space
 * work per event is the same C code on both sides. */
struct rate_totals {
    uint64_t received;
    uint64_t bytes;
    uint64_t checksum;
    uint64_t bad;  /* records too short, of the wrong size, or with a wrong payload word */
    uint64_t gaps; /* seq jumps: records the BPF side dropped */
    uint64_t next_seq;
    uint64_t histogram[64]; /* by the top 6 bits of the first payload word */
};

/* Parses one record and folds it into `totals`: checks header and payload, checksums every
 * payload word, and counts it in the histogram. */
static inline void rate_consume(struct rate_totals* totals, const void* data, uint64_t size) {
    const struct rate_record* record = (const struct rate_record*)data;
    totals->received++;
    totals->bytes += size;
    if (size < RATE_HEADER_SIZE + 8 || record->size != size) {
        totals->bad++;
        return;
    }
    if (record->seq != totals->next_seq) totals->gaps++;
    totals->next_seq = record->seq + 1;
    uint64_t words = RATE_WORDS(size);
    uint64_t sum = totals->checksum ^ record->seq;
    for (uint64_t i = 0; i < words; i++) {
        uint64_t word = record->payload[i];
        sum = ((sum ^ word) << 7 | (sum ^ word) >> 57) + 0x9E3779B97F4A7C15ULL;
    }
    totals->checksum = sum;
    if (record->payload[0] != rate_payload(record->seq, 0) ||
        record->payload[words - 1] != rate_payload(record->seq, words - 1))
        totals->bad++;
    totals->histogram[record->payload[0] >> 58]++;
}
#endif

#endif /* RATEBENCH_H */
