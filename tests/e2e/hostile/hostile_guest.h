// What every hostile guest shares: the wasm_bpf imports declared by hand (no SDK, so the ABI
// itself is what is tested) and a tiny check/report harness.
#ifndef HOSTILE_GUEST_H
#define HOSTILE_GUEST_H

#include <stdint.h>
#include <stdio.h>

#define WASM_BPF_IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(#name)))

WASM_BPF_IMPORT(wasm_load_bpf_object) uint64_t wasm_load_bpf_object(const void* obj, int size);
WASM_BPF_IMPORT(wasm_attach_bpf_program)
int wasm_attach_bpf_program(uint64_t obj, const char* name, const char* target);
WASM_BPF_IMPORT(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(uint64_t obj, int fd, int32_t callback, uint32_t ctx, void* data,
                         int max_size, int timeout_ms);
WASM_BPF_IMPORT(wasm_bpf_map_fd_by_name)
int wasm_bpf_map_fd_by_name(uint64_t obj, const char* name);
WASM_BPF_IMPORT(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void* key, void* value, void* next_key, uint64_t flags);
WASM_BPF_IMPORT(wasm_close_bpf_object) int wasm_close_bpf_object(uint64_t obj);

enum { MAP_LOOKUP = 1, MAP_UPDATE = 2, MAP_DELETE = 3, MAP_NEXT_KEY = 4 };

typedef int (*event_callback)(void* ctx, void* data, int size);
/// A function pointer's table index, as the ABI passes it.
#define TABLE_INDEX(fn) ((int32_t)(uintptr_t)(fn))
/// A guest address from a number (for out-of-bounds pointers).
#define GUEST_PTR(n) ((void*)(uintptr_t)(n))

static int hx_checks, hx_failures;

#define CHECK_EQ(what, actual, expected)                                                           \
    do {                                                                                           \
        long long hx_a = (long long)(actual), hx_e = (long long)(expected);                        \
        hx_checks++;                                                                               \
        if (hx_a == hx_e) {                                                                        \
            printf("ok   %s = %lld\n", what, hx_a);                                                \
        } else {                                                                                   \
            hx_failures++;                                                                         \
            printf("FAIL %s = %lld, expected %lld\n", what, hx_a, hx_e);                           \
        }                                                                                          \
    } while (0)

#define CHECK(what, condition) CHECK_EQ(what, !!(condition), 1)

/// Prints the summary line the harness looks for; the guest's exit status.
__attribute__((unused)) static int hx_report(const char* suite) {
    printf("%s: %d checks, %d failures\n", suite, hx_checks, hx_failures);
    fflush(stdout);
    return hx_failures == 0 ? 0 : 1;
}

/// The guest's memory size in bytes: addresses at or beyond it are out of bounds.
static inline uint32_t memory_end(void) {
    return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

#endif
