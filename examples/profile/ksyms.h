/* Kernel symbols for profile's guest: /proc/kallsyms read through the guest's preopened /proc
 * (`wbpf run --dir /proc`), text symbols only, looked up by address. Header-only, included
 * once by profile.c. kallsyms shows real addresses only to root (CAP_SYSLOG); zeros give no
 * symbols and frames print as "[unknown]". */
#ifndef PROFILE_KSYMS_H
#define PROFILE_KSYMS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ksym {
    uint64_t addr;
    const char* name; /* points into ksyms.text */
};

struct ksyms {
    char* text; /* the file, with names NUL-terminated in place */
    struct ksym* syms;
    size_t count;
};

/* Reads all of `path` (a pseudo file: its size is not known in advance); NULL on failure. */
static char* read_whole_file(const char* path, size_t limit, size_t* size_out) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    size_t size = 0, capacity = 1 << 16;
    char* data = malloc(capacity + 1);
    while (data) {
        if (size == capacity) {
            if (capacity >= limit) break;
            capacity *= 2;
            char* bigger = realloc(data, capacity + 1);
            if (!bigger) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
        }
        ssize_t n = read(fd, data + size, capacity - size);
        if (n < 0) {
            free(data);
            data = NULL;
        }
        if (n <= 0) break;
        size += (size_t)n;
    }
    close(fd);
    if (!data) return NULL;
    data[size] = '\0';
    if (size_out) *size_out = size;
    return data;
}

static int compare_ksyms(const void* a, const void* b) {
    uint64_t x = ((const struct ksym*)a)->addr, y = ((const struct ksym*)b)->addr;
    return x < y ? -1 : x > y;
}

/* Loads the text symbols ("t"/"T") of /proc/kallsyms; 0, or -1 if it cannot be read. */
static int ksyms_load(struct ksyms* ks) {
    memset(ks, 0, sizeof(*ks));
    size_t size = 0;
    ks->text = read_whole_file("/proc/kallsyms", 256u << 20, &size);
    if (!ks->text) return -1;
    size_t capacity = 0;
    int sorted = 1;
    for (char* line = ks->text; line < ks->text + size;) {
        char* end = memchr(line, '\n', (size_t)(ks->text + size - line));
        if (!end) end = ks->text + size;
        *end = '\0';
        /* "ffffffff81000000 T _stext" or "... t name\t[module]" */
        char* rest = NULL;
        uint64_t addr = strtoull(line, &rest, 16);
        if (rest && rest[0] == ' ' && (rest[1] == 't' || rest[1] == 'T') && rest[2] == ' ' &&
            addr != 0) {
            char* name = rest + 3;
            name[strcspn(name, "\t ")] = '\0'; /* drop the module column */
            if (ks->count == capacity) {
                capacity = capacity ? capacity * 2 : 65536;
                struct ksym* bigger = realloc(ks->syms, capacity * sizeof(*bigger));
                if (!bigger) break;
                ks->syms = bigger;
            }
            if (ks->count && ks->syms[ks->count - 1].addr > addr) sorted = 0;
            ks->syms[ks->count].addr = addr;
            ks->syms[ks->count].name = name;
            ks->count++;
        }
        line = end + 1;
    }
    if (!sorted) qsort(ks->syms, ks->count, sizeof(*ks->syms), compare_ksyms);
    return 0;
}

/* The symbol containing `addr` (the last one at or below it), or NULL. */
static const char* ksyms_find(const struct ksyms* ks, uint64_t addr) {
    size_t low = 0, high = ks->count;
    while (low < high) { /* first symbol above addr */
        size_t mid = low + (high - low) / 2;
        if (ks->syms[mid].addr <= addr)
            low = mid + 1;
        else
            high = mid;
    }
    return low ? ks->syms[low - 1].name : NULL;
}

static void ksyms_free(struct ksyms* ks) {
    free(ks->syms);
    free(ks->text);
    memset(ks, 0, sizeof(*ks));
}

#endif /* PROFILE_KSYMS_H */
