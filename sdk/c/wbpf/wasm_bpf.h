/* The wasm_bpf import ABI, as a wasm32 guest sees it.
 *
 * These are the raw host functions; most guests use the libbpf-shaped API in <wbpf/libbpf.h>.
 * Pointers are offsets in the guest's memory 0. Every function that reports an error returns a
 * negative errno in the HOST's (Linux) numbering; <wbpf/libbpf.h> converts those to the guest
 * libc's numbering so `err == -EINTR` works with wasi-libc.
 */
#ifndef WBPF_WASM_BPF_H
#define WBPF_WASM_BPF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WBPF_IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(name)))

/* Opens and loads the ELF BPF object in buf[0..size). Returns a non-zero handle, or 0. */
WBPF_IMPORT("wasm_load_bpf_object")
uint64_t wasm_load_bpf_object(const void* buf, int size);

/* Attaches program `name`. `target` NULL or "" auto-attaches by section; otherwise a cgroup v2
 * directory, an interface name ("eth0", tc: "eth0:ingress"), "binary:symbol[+offset]", or for
 * perf_event programs "freq=HZ" / "period=NS" [",pid=PID"] [",cpu=N"] (cpu-clock sampling events
 * the host opens, one per CPU by default). 0 or -errno. */
WBPF_IMPORT("wasm_attach_bpf_program")
int wasm_attach_bpf_program(uint64_t obj, const char* name, const char* target);

/* Polls the ring buffer or perf event array `map_fd`: each record is copied (at most max_size
 * bytes) to `data` and `callback` (a table-0 function (i32 ctx, i32 data, i32 size) -> i32) is
 * called. Returns the number of records consumed, the first non-zero callback result, or
 * -errno (-EINTR after SIGINT/SIGTERM). */
WBPF_IMPORT("wasm_bpf_buffer_poll")
int wasm_bpf_buffer_poll(uint64_t obj, int map_fd, int32_t callback, void* ctx, void* data,
                         int max_size, int timeout_ms);

/* fd of map `name` of the object (internal maps by skeleton name, e.g. "bootstra.rodata"). */
WBPF_IMPORT("wasm_bpf_map_fd_by_name")
int wasm_bpf_map_fd_by_name(uint64_t obj, const char* name);

/* cmd: WBPF_MAP_LOOKUP, WBPF_MAP_UPDATE, WBPF_MAP_DELETE, WBPF_MAP_GET_NEXT_KEY. 0 or -errno. */
WBPF_IMPORT("wasm_bpf_map_operate")
int wasm_bpf_map_operate(int fd, int cmd, const void* key, void* value, void* next_key,
                         uint64_t flags);

/* Detaches everything of the object and closes it. 0 or -errno. */
WBPF_IMPORT("wasm_close_bpf_object")
int wasm_close_bpf_object(uint64_t obj);

#undef WBPF_IMPORT

enum {
    WBPF_MAP_LOOKUP = 1,
    WBPF_MAP_UPDATE = 2,
    WBPF_MAP_DELETE = 3,
    WBPF_MAP_GET_NEXT_KEY = 4,
};

#ifdef __cplusplus
}
#endif

#endif /* WBPF_WASM_BPF_H */
