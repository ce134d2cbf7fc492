/* A header-only, libbpf-shaped API for wasm32 guests of wbpf, on top of <wbpf/wasm_bpf.h>.
 *
 * Skeleton headers from `wbpf gen skeleton` include this file; guests usually use the skeleton's
 * NAME__open/__load/__attach/__destroy plus the functions below. Conventions follow libbpf 1.x:
 * functions returning int give 0 (or a count) on success and a negative errno on failure, with
 * errno also set; functions returning pointers give NULL and set errno.
 *
 * Differences from libbpf, all forced by the import ABI:
 * - Links cannot be destroyed one by one: bpf_link__destroy() only frees the record, the kernel
 *   link lives until the object is closed (NAME__destroy / bpf_object__close).
 * - .bss/.data cannot be memory-mapped: skel->bss/skel->data are local copies. Before load they
 *   are the initial values; after load wbpf_map__pull_datasec() refreshes the copy from the
 *   kernel and wbpf_map__push_datasec() writes it back. skel->rodata is frozen at load.
 * - bpf_program__set_autoload(prog, false) hides the program's ELF section from libbpf on the
 *   host (its SHF_EXECINSTR flag is cleared in the embedded copy), so all programs sharing a
 *   section must agree; mixed settings make load fail with -EOPNOTSUPP.
 * - bpf_program__set_attach_target(prog, 0, target) stores a host attach target: a cgroup v2
 *   directory, an interface name ("eth0", tc: "eth0:ingress"), "binary:symbol[+offset]", or for
 *   perf_event programs a sampling spec the host opens events for ("freq=49", "period=NS",
 *   optionally ",pid=PID" / ",cpu=N").
 * - When load fails the host gives no reason (see `wbpf run -v`): bpf_object__load returns
 *   -EINVAL.
 */
#ifndef WBPF_LIBBPF_H
#define WBPF_LIBBPF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wbpf/bulk_memory.h>
#include <wbpf/fast_printf.h>
#include <wbpf/fast_strftime.h>
#include <wbpf/wasm_bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- what a skeleton describes (emitted by `wbpf gen skeleton`) ---- */

struct wbpf_map_desc {
    const char* name;    /* libbpf's name, e.g. "rb" or "bootstra.rodata" */
    const char* section; /* ".rodata", ".data", ".bss"... for internal maps, else NULL */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t data_offset;     /* file offset of the section's bytes in the object (0: none) */
    uint32_t data_size;       /* bytes there (0 for .bss) */
    uint32_t datasec_size;    /* size of the local datasec copy (0: not a datasec map) */
    bool writable_after_load; /* .data/.bss: yes; .rodata: frozen */
};

struct wbpf_prog_desc {
    const char* name;
    const char* section;
    uint32_t section_index;
    uint32_t section_flags_offset; /* file offset of the section header's sh_flags */
};

struct wbpf_object_desc {
    const char* name;
    const unsigned char* elf;
    uint32_t elf_size;
    const struct wbpf_map_desc* maps;
    uint32_t nr_maps;
    const struct wbpf_prog_desc* progs;
    uint32_t nr_progs;
};

/* ---- objects ---- */

struct bpf_object;

struct bpf_map {
    struct bpf_object* obj;
    const struct wbpf_map_desc* desc;
    int fd;        /* cached once looked up; -1 before */
    void* datasec; /* local copy of a datasec map's value, or NULL */
};

struct bpf_program {
    struct bpf_object* obj;
    const struct wbpf_prog_desc* desc;
    char* attach_target;
    bool autoload;
};

struct bpf_link {
    struct bpf_program* prog;
};

struct bpf_object {
    const struct wbpf_object_desc* desc;
    unsigned char* elf; /* private copy: .rodata/.data and autoload are written into it */
    uint64_t handle;    /* 0 until loaded */
    struct bpf_map* maps;
    struct bpf_program* progs;
};

/* Host errors are Linux errno values; convert them to this libc's numbering. */
static inline int wbpf__errno_from_host(int host_error) {
#if defined(__wasi__) && !defined(WBPF_HOST_ERRNO_IS_NATIVE)
    switch (host_error) {
    case 1: return EPERM;
    case 2: return ENOENT;
    case 3: return ESRCH;
    case 4: return EINTR;
    case 5: return EIO;
    case 6: return ENXIO;
    case 7: return E2BIG;
    case 9: return EBADF;
    case 11: return EAGAIN;
    case 12: return ENOMEM;
    case 13: return EACCES;
    case 14: return EFAULT;
    case 16: return EBUSY;
    case 17: return EEXIST;
    case 19: return ENODEV;
    case 20: return ENOTDIR;
    case 22: return EINVAL;
    case 24: return EMFILE;
    case 28: return ENOSPC;
    case 34: return ERANGE;
    case 38: return ENOSYS;
    case 40: return ELOOP;
    case 75: return EOVERFLOW;
    case 95: return EOPNOTSUPP;
    case 110: return ETIMEDOUT;
    case 524: return EOPNOTSUPP; /* the kernel's internal ENOTSUPP */
    default: return EIO;
    }
#else
    return host_error;
#endif
}

/* Converts a host result (>= 0, or -errno) to a libbpf-style result and sets errno. */
static inline int wbpf__result(int host_result) {
    if (host_result >= 0) return host_result;
    int error = wbpf__errno_from_host(-host_result);
    errno = error;
    return -error;
}

static inline int wbpf__fail(int error) {
    errno = error;
    return -error;
}

static inline void bpf_object__close(struct bpf_object* obj) {
    if (!obj) return;
    if (obj->handle) wasm_close_bpf_object(obj->handle);
    if (obj->maps) {
        for (uint32_t i = 0; i < obj->desc->nr_maps; i++)
            free(obj->maps[i].datasec);
    }
    if (obj->progs) {
        for (uint32_t i = 0; i < obj->desc->nr_progs; i++)
            free(obj->progs[i].attach_target);
    }
    free(obj->maps);
    free(obj->progs);
    free(obj->elf);
    free(obj);
}

/* Opens the object a skeleton describes: copies its bytes and initial datasec values. */
static inline struct bpf_object* wbpf_object__open(const struct wbpf_object_desc* desc) {
    struct bpf_object* obj = (struct bpf_object*)calloc(1, sizeof(*obj));
    if (!obj) goto out_of_memory;
    obj->desc = desc;
    obj->elf = (unsigned char*)malloc(desc->elf_size);
    obj->maps = (struct bpf_map*)calloc(desc->nr_maps ? desc->nr_maps : 1, sizeof(*obj->maps));
    obj->progs =
        (struct bpf_program*)calloc(desc->nr_progs ? desc->nr_progs : 1, sizeof(*obj->progs));
    if (!obj->elf || !obj->maps || !obj->progs) goto out_of_memory;
    memcpy(obj->elf, desc->elf, desc->elf_size);
    for (uint32_t i = 0; i < desc->nr_maps; i++) {
        const struct wbpf_map_desc* map_desc = &desc->maps[i];
        struct bpf_map* map = &obj->maps[i];
        map->obj = obj;
        map->desc = map_desc;
        map->fd = -1;
        if (map_desc->datasec_size) {
            map->datasec = calloc(1, map_desc->datasec_size);
            if (!map->datasec) goto out_of_memory;
            uint32_t n = map_desc->data_size < map_desc->datasec_size ? map_desc->data_size
                                                                      : map_desc->datasec_size;
            if (n) memcpy(map->datasec, desc->elf + map_desc->data_offset, n);
        }
    }
    for (uint32_t i = 0; i < desc->nr_progs; i++) {
        obj->progs[i].obj = obj;
        obj->progs[i].desc = &desc->progs[i];
        obj->progs[i].autoload = true;
    }
    return obj;

out_of_memory:
    bpf_object__close(obj);
    errno = ENOMEM;
    return NULL;
}

static inline const char* bpf_object__name(const struct bpf_object* obj) {
    return obj->desc->name;
}

static inline struct bpf_map* bpf_object__find_map_by_name(const struct bpf_object* obj,
                                                           const char* name) {
    for (uint32_t i = 0; i < obj->desc->nr_maps; i++) {
        const struct wbpf_map_desc* d = &obj->desc->maps[i];
        if (strcmp(d->name, name) == 0 || (d->section && strcmp(d->section, name) == 0))
            return &obj->maps[i];
    }
    errno = ENOENT;
    return NULL;
}

static inline struct bpf_program* bpf_object__find_program_by_name(const struct bpf_object* obj,
                                                                   const char* name) {
    for (uint32_t i = 0; i < obj->desc->nr_progs; i++)
        if (strcmp(obj->desc->progs[i].name, name) == 0) return &obj->progs[i];
    errno = ENOENT;
    return NULL;
}

/* ---- programs ---- */

static inline const char* bpf_program__name(const struct bpf_program* prog) {
    return prog->desc->name;
}

static inline const char* bpf_program__section_name(const struct bpf_program* prog) {
    return prog->desc->section;
}

static inline bool bpf_program__autoload(const struct bpf_program* prog) {
    return prog->autoload;
}

static inline int bpf_program__set_autoload(struct bpf_program* prog, bool autoload) {
    if (prog->obj->handle) return wbpf__fail(EBUSY);
    prog->autoload = autoload;
    return 0;
}

/* Stores the host attach target used by bpf_program__attach and NAME__attach. attach_prog_fd
 * must be 0 (the ABI cannot attach to another BPF program). NULL clears the target. */
static inline int bpf_program__set_attach_target(struct bpf_program* prog, int attach_prog_fd,
                                                 const char* target) {
    if (attach_prog_fd != 0) return wbpf__fail(EOPNOTSUPP);
    char* copy = NULL;
    if (target) {
        size_t n = strlen(target) + 1;
        copy = (char*)malloc(n);
        if (!copy) return wbpf__fail(ENOMEM);
        memcpy(copy, target, n);
    }
    free(prog->attach_target);
    prog->attach_target = copy;
    return 0;
}

/* Attaches a loaded program (with its attach target, if any). The link record is only
 * bookkeeping: see the note on links at the top of this file. */
static inline struct bpf_link* bpf_program__attach(struct bpf_program* prog) {
    if (!prog->obj->handle || !prog->autoload) {
        errno = EINVAL;
        return NULL;
    }
    int err = wbpf__result(
        wasm_attach_bpf_program(prog->obj->handle, prog->desc->name, prog->attach_target));
    if (err < 0) return NULL;
    struct bpf_link* link = (struct bpf_link*)calloc(1, sizeof(*link));
    if (!link) {
        errno = ENOMEM;
        return NULL;
    }
    link->prog = prog;
    return link;
}

static inline int bpf_link__destroy(struct bpf_link* link) {
    free(link);
    return 0;
}

/* Sections whose programs libbpf cannot attach without a target: skeleton attach skips them
 * unless bpf_program__set_attach_target was called. */
static inline bool wbpf__needs_target(const char* section) {
    static const char* const prefixes[] = {
        "xdp",        "tc",         "classifier",       "action",
        "socket",     "cgroup",     "sockops",          "sk_skb",
        "sk_msg",     "sk_lookup",  "sk_reuseport",     "flow_dissector",
        "lirc_mode2", "struct_ops", "syscall",          "netfilter",
        "perf_event", "raw_tp.w",   "raw_tracepoint.w",
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(section, prefixes[i], n) == 0 &&
            (section[n] == '\0' || section[n] == '/' || section[n] == '.'))
            return true;
    }
    /* "uprobe" or "uretprobe" without a binary path is attached manually in libbpf too. */
    return strcmp(section, "uprobe") == 0 || strcmp(section, "uretprobe") == 0 ||
           strcmp(section, "usdt") == 0;
}

/* ---- loading ---- */

/* Writes .rodata/.data initial values and autoload choices into the private ELF copy, loads it,
 * and writes .bss initial values through its map. */
static inline int bpf_object__load(struct bpf_object* obj) {
    const struct wbpf_object_desc* desc = obj->desc;
    if (obj->handle) return wbpf__fail(EBUSY);
    for (uint32_t i = 0; i < desc->nr_progs; i++) {
        const struct wbpf_prog_desc* p = &desc->progs[i];
        for (uint32_t j = 0; j < desc->nr_progs; j++) {
            if (desc->progs[j].section_index == p->section_index &&
                obj->progs[j].autoload != obj->progs[i].autoload)
                return wbpf__fail(EOPNOTSUPP);
        }
        if (!obj->progs[i].autoload && p->section_flags_offset + 8 <= desc->elf_size)
            obj->elf[p->section_flags_offset] &= (unsigned char)~0x4u; /* SHF_EXECINSTR */
    }
    for (uint32_t i = 0; i < desc->nr_maps; i++) {
        const struct wbpf_map_desc* m = &desc->maps[i];
        if (obj->maps[i].datasec && m->data_size) {
            uint32_t n = m->data_size < m->datasec_size ? m->data_size : m->datasec_size;
            memcpy(obj->elf + m->data_offset, obj->maps[i].datasec, n);
        }
    }
    obj->handle = wasm_load_bpf_object(obj->elf, (int)desc->elf_size);
    if (!obj->handle) return wbpf__fail(EINVAL);
    for (uint32_t i = 0; i < desc->nr_maps; i++) {
        const struct wbpf_map_desc* m = &desc->maps[i];
        if (!obj->maps[i].datasec || m->data_size || !m->writable_after_load) continue;
        const unsigned char* bytes = (const unsigned char*)obj->maps[i].datasec;
        bool all_zero = true;
        for (uint32_t k = 0; k < m->datasec_size && all_zero; k++)
            all_zero = bytes[k] == 0;
        if (all_zero) continue; /* the kernel map starts zeroed */
        uint32_t key = 0;
        int fd = wbpf__result(wasm_bpf_map_fd_by_name(obj->handle, m->name));
        if (fd < 0) return fd;
        obj->maps[i].fd = fd;
        int err = wbpf__result(
            wasm_bpf_map_operate(fd, WBPF_MAP_UPDATE, &key, obj->maps[i].datasec, NULL, 0));
        if (err < 0) return err;
    }
    return 0;
}

/* ---- maps ---- */

static inline const char* bpf_map__name(const struct bpf_map* map) {
    return map->desc->name;
}
static inline uint32_t bpf_map__key_size(const struct bpf_map* map) {
    return map->desc->key_size;
}
static inline uint32_t bpf_map__value_size(const struct bpf_map* map) {
    return map->desc->value_size;
}

/* The map's fd in the host (only meaningful to the wasm_bpf imports), or -errno before load. */
static inline int bpf_map__fd(const struct bpf_map* map) {
    struct bpf_map* m = (struct bpf_map*)map;
    if (m->fd >= 0) return m->fd;
    if (!m->obj->handle) return wbpf__fail(EINVAL);
    int fd = wbpf__result(wasm_bpf_map_fd_by_name(m->obj->handle, m->desc->name));
    if (fd >= 0) m->fd = fd;
    return fd;
}

static inline int bpf_map_lookup_elem(int fd, const void* key, void* value) {
    return wbpf__result(wasm_bpf_map_operate(fd, WBPF_MAP_LOOKUP, key, value, NULL, 0));
}

static inline int bpf_map_lookup_elem_flags(int fd, const void* key, void* value, uint64_t flags) {
    return wbpf__result(wasm_bpf_map_operate(fd, WBPF_MAP_LOOKUP, key, value, NULL, flags));
}

static inline int bpf_map_update_elem(int fd, const void* key, const void* value, uint64_t flags) {
    return wbpf__result(wasm_bpf_map_operate(fd, WBPF_MAP_UPDATE, key, (void*)value, NULL, flags));
}

static inline int bpf_map_delete_elem(int fd, const void* key) {
    return wbpf__result(wasm_bpf_map_operate(fd, WBPF_MAP_DELETE, key, NULL, NULL, 0));
}

/* key NULL gives the first key. */
static inline int bpf_map_get_next_key(int fd, const void* key, void* next_key) {
    return wbpf__result(wasm_bpf_map_operate(fd, WBPF_MAP_GET_NEXT_KEY, key, NULL, next_key, 0));
}

static inline int wbpf__check_sizes(const struct bpf_map* map, size_t key_size, size_t value_size) {
    if (key_size != map->desc->key_size) return wbpf__fail(EINVAL);
    if (value_size != (size_t)-1 && value_size != map->desc->value_size) return wbpf__fail(EINVAL);
    return 0;
}

static inline int bpf_map__lookup_elem(const struct bpf_map* map, const void* key, size_t key_size,
                                       void* value, size_t value_size, uint64_t flags) {
    int err = wbpf__check_sizes(map, key_size, value_size);
    int fd = err ? err : bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_lookup_elem_flags(fd, key, value, flags);
}

static inline int bpf_map__update_elem(const struct bpf_map* map, const void* key, size_t key_size,
                                       const void* value, size_t value_size, uint64_t flags) {
    int err = wbpf__check_sizes(map, key_size, value_size);
    int fd = err ? err : bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_update_elem(fd, key, value, flags);
}

static inline int bpf_map__delete_elem(const struct bpf_map* map, const void* key, size_t key_size,
                                       uint64_t flags) {
    (void)flags;
    int err = wbpf__check_sizes(map, key_size, (size_t)-1);
    int fd = err ? err : bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_delete_elem(fd, key);
}

static inline int bpf_map__get_next_key(const struct bpf_map* map, const void* cur_key,
                                        void* next_key, size_t key_size) {
    int err = wbpf__check_sizes(map, key_size, (size_t)-1);
    int fd = err ? err : bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_get_next_key(fd, cur_key, next_key);
}

/* Refreshes the local copy of a .bss/.data map (skel->bss) from the kernel. */
static inline int wbpf_map__pull_datasec(struct bpf_map* map) {
    uint32_t key = 0;
    if (!map->datasec) return wbpf__fail(EINVAL);
    int fd = bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_lookup_elem(fd, &key, map->datasec);
}

/* Writes the local copy of a .bss/.data map (skel->bss) to the kernel. */
static inline int wbpf_map__push_datasec(struct bpf_map* map) {
    uint32_t key = 0;
    if (!map->datasec || !map->desc->writable_after_load) return wbpf__fail(EINVAL);
    int fd = bpf_map__fd(map);
    return fd < 0 ? fd : bpf_map_update_elem(fd, &key, map->datasec, 0);
}

/* ---- ring buffers and perf event arrays ---- */

/* Called for each record; a non-zero return stops the poll and becomes its result. */
typedef int (*bpf_buffer_sample_fn)(void* ctx, void* data, size_t size);

/* Large enough for any ring buffer record up to 64 KiB. */
#define WBPF_BUFFER_DEFAULT_SIZE (64u * 1024u)

struct bpf_buffer {
    struct bpf_map* map;
    bpf_buffer_sample_fn sample_fn;
    void* ctx;
    void* data;
    size_t size;
    int callback_result; /* a callback's non-zero result, passed through untranslated */
    bool priming;        /* bpf_buffer__open's poll is running: keep the record, do not deliver */
    bool stashed;        /* `data` holds a record taken by that poll, for the next poll */
    uint32_t stashed_size;
};

/* A buffer for `map` (ring buffer or perf event array) whose records are truncated to
 * `max_record_size` bytes. */
static inline struct bpf_buffer* bpf_buffer__new_with_size(struct bpf_map* map,
                                                           size_t max_record_size) {
    if (!map || max_record_size == 0 || max_record_size > 0x7fffffff) {
        errno = EINVAL;
        return NULL;
    }
    struct bpf_buffer* buffer = (struct bpf_buffer*)calloc(1, sizeof(*buffer));
    void* data = malloc(max_record_size);
    if (!buffer || !data) {
        free(buffer);
        free(data);
        errno = ENOMEM;
        return NULL;
    }
    buffer->map = map;
    buffer->data = data;
    buffer->size = max_record_size;
    return buffer;
}

/* libbpf-wasm's signature; `heap` (a per-CPU scratch map on the BPF side) is not needed. */
static inline struct bpf_buffer* bpf_buffer__new(struct bpf_map* events, struct bpf_map* heap) {
    (void)heap;
    return bpf_buffer__new_with_size(events, WBPF_BUFFER_DEFAULT_SIZE);
}

/* The table-0 function the host calls: (i32 ctx, i32 data, i32 size) -> i32. While
 * bpf_buffer__open primes the buffer, the first record stays in `data` and the poll stops (the
 * host keeps the rest for the next poll): the callback never runs inside bpf_buffer__open. */
static inline int wbpf__buffer_trampoline(void* ctx, void* data, uint32_t size) {
    struct bpf_buffer* buffer = (struct bpf_buffer*)ctx;
    (void)data;
    if (buffer->priming) {
        buffer->stashed = true;
        buffer->stashed_size = size;
        return 1; /* stop */
    }
    buffer->callback_result = buffer->sample_fn(buffer->ctx, data, size);
    return buffer->callback_result;
}

static inline int wbpf__buffer_host_poll(struct bpf_buffer* buffer, int fd, int timeout_ms) {
    int32_t callback = (int32_t)(uintptr_t)&wbpf__buffer_trampoline;
    return wasm_bpf_buffer_poll(buffer->map->obj->handle, fd, callback, buffer, buffer->data,
                                (int)buffer->size, timeout_ms);
}

/* Sets the callback and makes the buffer ready: the object must be loaded. The host opens its
 * side of a buffer (for a perf event array, the per-CPU perf events, without which the kernel
 * drops records) at the first poll, so this function does a zero-timeout poll: once it returned,
 * every record sent is kept. A record that poll takes is delivered by the next bpf_buffer__poll,
 * never from inside this function, so a tool may print its header after opening. */
static inline int bpf_buffer__open(struct bpf_buffer* buffer, bpf_buffer_sample_fn sample_fn,
                                   void* ctx) {
    if (!buffer || !sample_fn) return wbpf__fail(EINVAL);
    buffer->sample_fn = sample_fn;
    buffer->ctx = ctx;
    int fd = bpf_map__fd(buffer->map);
    if (fd < 0) return fd;
    buffer->priming = true;
    buffer->stashed = false;
    int result = wbpf__buffer_host_poll(buffer, fd, 0);
    buffer->priming = false;
    if (buffer->stashed || result >= 0) return 0;
    result = wbpf__result(result);
    return result == -EINTR ? 0 : result; /* shutdown already: the first poll says so */
}

/* Delivers ready records (waiting up to timeout_ms for the first). Returns the number of records
 * consumed, a callback's non-zero result, or -errno: -EINTR once SIGINT/SIGTERM arrived. */
static inline int bpf_buffer__poll(struct bpf_buffer* buffer, int timeout_ms) {
    if (!buffer || !buffer->sample_fn) return wbpf__fail(EINVAL);
    int fd = bpf_map__fd(buffer->map);
    if (fd < 0) return fd;
    int delivered = 0;
    if (buffer->stashed) { /* kept by bpf_buffer__open: first, and then no waiting */
        buffer->stashed = false;
        int stop = buffer->sample_fn(buffer->ctx, buffer->data, buffer->stashed_size);
        if (stop != 0) return stop;
        delivered = 1;
        timeout_ms = 0;
    }
    buffer->callback_result = 0;
    int result = wbpf__buffer_host_poll(buffer, fd, timeout_ms);
    if (buffer->callback_result != 0 && result == buffer->callback_result) return result;
    if (result < 0 && delivered) return delivered; /* the error (or -EINTR) comes again next */
    return result < 0 ? wbpf__result(result) : result + delivered;
}

static inline void bpf_buffer__free(struct bpf_buffer* buffer) {
    if (!buffer) return;
    free(buffer->data);
    free(buffer);
}

#ifdef __cplusplus
}
#endif

#endif /* WBPF_LIBBPF_H */
