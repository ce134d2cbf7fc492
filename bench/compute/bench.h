/* Shared helpers for the compute benchmarks. Every benchmark is a plain C program built twice,
 * natively and for wasm32-wasi, with the same clang-19 -O2; it prints a checksum so the harness
 * (scripts/bench.sh) can check that the wasm run computed exactly what the native run did. */
#ifndef WBPF_BENCH_H
#define WBPF_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The size of the run: argv[1] when given (for quick checks), else the default that makes the
 * native build run 0.3-1 s. Read at run time so the compiler cannot fold the work away. */
static inline long bench_size(int argc, char** argv, long default_size) {
    if (argc < 2) return default_size;
    char* end = NULL;
    long size = strtol(argv[1], &end, 10);
    if (*end != '\0' || size <= 0) {
        fprintf(stderr, "usage: %s [SIZE > 0]\n", argv[0]);
        exit(2);
    }
    return size;
}

/* A deterministic 64-bit generator (splitmix64) for inputs identical on every target. */
static inline uint64_t bench_next_random(uint64_t* state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* FNV-1a over a byte range, folded into a running hash. */
static inline uint64_t bench_fnv1a(uint64_t hash, const void* data, size_t size) {
    const unsigned char* bytes = (const unsigned char*)data;
    for (size_t i = 0; i < size; ++i)
        hash = (hash ^ bytes[i]) * 0x100000001b3ull;
    return hash;
}

#define BENCH_FNV1A_SEED 0xcbf29ce484222325ull

#endif
