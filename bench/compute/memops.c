/* memcpy/memset/memmove-heavy code: block copies and fills of mixed sizes (16 B to 64 KiB) at
 * varying offsets in a 1 MiB arena, the way tools copy event payloads and clear buffers.
 * The wasm build is made twice: with -mbulk-memory the calls become memory.copy/memory.fill,
 * without it they call wasi-libc's memcpy/memset compiled to ordinary wasm loops. */
#include "bench.h"

#include <string.h>

#define ARENA_SIZE (1u << 20)
#define MAX_BLOCK (64u * 1024)

static unsigned char arena[ARENA_SIZE + MAX_BLOCK];

/* Block sizes skewed small, as most copies are: 16 B-256 B mostly, some up to 64 KiB. */
static size_t block_size(uint64_t random) {
    switch (random & 7) {
    case 0: return MAX_BLOCK >> ((random >> 3) & 3); /* 8-64 KiB */
    case 1: return 1024 + ((random >> 3) & 4095);
    default: return 16 + ((random >> 3) & 255);
    }
}

int main(int argc, char** argv) {
    long operations = bench_size(argc, argv, 2400000);
    for (size_t i = 0; i < sizeof arena; ++i)
        arena[i] = (unsigned char)(i * 131u);
    uint64_t seed = 11, hash = BENCH_FNV1A_SEED;
    for (long op = 0; op < operations; ++op) {
        uint64_t random = bench_next_random(&seed);
        size_t size = block_size(random);
        size_t source = (random >> 16) % ARENA_SIZE, target = (random >> 40) % ARENA_SIZE;
        switch ((random >> 12) & 3) {
        case 0: memset(arena + target, (int)(op & 0xff), size); break;
        case 1: memmove(arena + target, arena + source, size); break; /* may overlap */
        default:
            if (source + size <= target || target + size <= source)
                memcpy(arena + target, arena + source, size);
            else
                memset(arena + target, 0x5a, size);
            break;
        }
        hash = (hash ^ arena[target + size / 2]) * 0x100000001b3ull;
    }
    hash = bench_fnv1a(hash, arena, sizeof arena);
    printf("memops: %ld operations, fnv1a %016llx\n", operations, (unsigned long long)hash);
    return 0;
}
