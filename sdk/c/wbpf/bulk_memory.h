/* memcpy, memmove and memset as single bulk-memory instructions, for guests built with
 * -mbulk-memory (clang 20 and later enable it by default).
 *
 * wasi-libc as Debian 12 builds it copies and fills in loops of wasm instructions, and its stdio
 * calls memcpy for every piece of output: printf("%-8s %d\n", ...) copies a few bytes at a time,
 * a dozen times per line. Built with bulk memory, these definitions make each call one
 * memory.copy or memory.fill, which wbpf executes as native code. They are weak, so a guest's
 * own definitions win. Without bulk memory nothing is defined, and the guest keeps
 * wasi-libc's.
 *
 * <wbpf/libbpf.h> includes this file, so every guest built on the SDK gets them.
 */
#ifndef WBPF_BULK_MEMORY_H
#define WBPF_BULK_MEMORY_H

#if defined(__wasm_bulk_memory__)

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((weak)) void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
    __builtin_memcpy(dst, src, n); /* memory.copy */
    return dst;
}

__attribute__((weak)) void* memmove(void* dst, const void* src, size_t n) {
    __builtin_memmove(dst, src, n); /* memory.copy */
    return dst;
}

__attribute__((weak)) void* memset(void* dst, int c, size_t n) {
    __builtin_memset(dst, c, n); /* memory.fill */
    return dst;
}

#ifdef __cplusplus
}
#endif

#endif /* __wasm_bulk_memory__ */

#endif /* WBPF_BULK_MEMORY_H */
