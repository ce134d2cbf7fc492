// Events shared by hostile.bpf.c and the guests (plain fixed-width layout on both sides).
#ifndef HOSTILE_EVENTS_H
#define HOSTILE_EVENTS_H

#define HX_TRIGGER_KEY 0xC0FFEEu
#define HX_BIG_MAGIC 0xB16B16B1u
#define HX_SMALL_MAGIC 0x5A11u
#define HX_PERF_MAGIC 0x9E4Fu
#define HX_BIG_WORDS 1500u /* 6000 bytes of words + 4 of magic: well over 4 KiB */

struct hx_big_event {
    unsigned int magic;
    unsigned int words[HX_BIG_WORDS];
};

struct hx_small_event {
    unsigned int magic;
    unsigned int pad;
    unsigned long long sequence;
};

struct hx_pair {
    unsigned int a;
    unsigned int b;
};

static inline unsigned int hx_pattern(unsigned int i) {
    return i * 2654435761u ^ 0x5bd1e995u;
}

#endif
