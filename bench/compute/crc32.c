/* Table lookups and bit manipulation: CRC-32 (reflected polynomial 0xEDB88320) one byte at a
 * time through a 256-entry table built at start-up, over a pseudo-random buffer. */
#include "bench.h"

#define BUFFER_SIZE (64 * 1024)

static uint32_t crc_table[256];

static void build_crc_table(void) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        crc_table[byte] = crc;
    }
}

static uint32_t crc32_update(uint32_t crc, const unsigned char* data, size_t size) {
    crc = ~crc;
    for (size_t i = 0; i < size; ++i)
        crc = (crc >> 8) ^ crc_table[(crc ^ data[i]) & 0xff];
    return ~crc;
}

int main(int argc, char** argv) {
    long passes = bench_size(argc, argv, 2400);
    build_crc_table();
    static unsigned char buffer[BUFFER_SIZE];
    uint64_t seed = 7;
    for (size_t i = 0; i < BUFFER_SIZE; i += 8) {
        uint64_t word = bench_next_random(&seed);
        for (int j = 0; j < 8; ++j)
            buffer[i + j] = (unsigned char)(word >> (8 * j));
    }
    uint32_t crc = 0;
    for (long pass = 0; pass < passes; ++pass) {
        crc = crc32_update(crc, buffer, BUFFER_SIZE);
        buffer[pass % BUFFER_SIZE] ^= (unsigned char)crc; /* every pass sees new data */
    }
    /* The check value of the standard CRC-32 proves the table is right. */
    printf("crc32(\"123456789\") = %08x\n", crc32_update(0, (const unsigned char*)"123456789", 9));
    printf("crc32: %ld x %d bytes, crc %08x\n", passes, BUFFER_SIZE, crc);
    return 0;
}
