/* 32-bit integer mixing: the ChaCha20 block function (add, xor, rotate on 32-bit words),
 * used as a keystream generator to encrypt a buffer in place, many times over. */
#include "bench.h"

#include <string.h>

#define BUFFER_SIZE 4096

static inline uint32_t rotl32(uint32_t x, int bits) {
    return (x << bits) | (x >> (32 - bits));
}

#define QUARTER_ROUND(a, b, c, d)                                                                  \
    do {                                                                                           \
        a += b;                                                                                    \
        d = rotl32(d ^ a, 16);                                                                     \
        c += d;                                                                                    \
        b = rotl32(b ^ c, 12);                                                                     \
        a += b;                                                                                    \
        d = rotl32(d ^ a, 8);                                                                      \
        c += d;                                                                                    \
        b = rotl32(b ^ c, 7);                                                                      \
    } while (0)

/* One 64-byte keystream block: 20 rounds (10 column + diagonal pairs) plus the input words. */
static void chacha20_block(const uint32_t input[16], uint32_t output[16]) {
    uint32_t x[16];
    memcpy(x, input, sizeof x);
    for (int i = 0; i < 10; ++i) {
        QUARTER_ROUND(x[0], x[4], x[8], x[12]);
        QUARTER_ROUND(x[1], x[5], x[9], x[13]);
        QUARTER_ROUND(x[2], x[6], x[10], x[14]);
        QUARTER_ROUND(x[3], x[7], x[11], x[15]);
        QUARTER_ROUND(x[0], x[5], x[10], x[15]);
        QUARTER_ROUND(x[1], x[6], x[11], x[12]);
        QUARTER_ROUND(x[2], x[7], x[8], x[13]);
        QUARTER_ROUND(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; ++i)
        output[i] = x[i] + input[i];
}

/* XORs the keystream into buffer; the block counter (state[12]) advances per 64 bytes. */
static void chacha20_xor(uint32_t state[16], uint32_t* buffer, size_t words) {
    uint32_t keystream[16];
    for (size_t i = 0; i < words; i += 16) {
        chacha20_block(state, keystream);
        ++state[12];
        for (size_t j = 0; j < 16 && i + j < words; ++j)
            buffer[i + j] ^= keystream[j];
    }
}

int main(int argc, char** argv) {
    long passes = bench_size(argc, argv, 40000);
    /* "expand 32-byte k", then key, counter and nonce from the generator. */
    uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    uint64_t seed = 1;
    for (int i = 4; i < 16; ++i)
        state[i] = (uint32_t)bench_next_random(&seed);
    state[12] = 0;

    static uint32_t buffer[BUFFER_SIZE / 4];
    for (size_t i = 0; i < BUFFER_SIZE / 4; ++i)
        buffer[i] = (uint32_t)i * 0x01000193u;
    for (long pass = 0; pass < passes; ++pass)
        chacha20_xor(state, buffer, BUFFER_SIZE / 4);

    uint64_t hash = bench_fnv1a(BENCH_FNV1A_SEED, buffer, sizeof buffer);
    printf("chacha20: %ld x %d bytes, fnv1a %016llx\n", passes, BUFFER_SIZE,
           (unsigned long long)hash);
    return 0;
}
