/* User-space symbols for profile's guest: /proc/PID/maps says which file an address is mapped
 * from and at which file offset; the file's ELF program headers turn that offset into a link
 * address and its .symtab (or .dynsym) names the function. Files are read through the guest's
 * preopens by their absolute paths (`wbpf run --dir /proc --dir /`). Header-only, included once
 * by profile.c.
 *
 * Every byte of a mapped file is untrusted: offsets and sizes are checked against the file
 * size before use, and a malformed file gives no symbols rather than a trap. */
#ifndef PROFILE_USYMS_H
#define PROFILE_USYMS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USYMS_MAX_TABLE (256u << 20) /* larger symbol tables are ignored */

/* The ELF64 structures needed (wasi-libc has no <elf.h>); the layout is the same on wasm32. */
struct elf64_ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};
struct elf64_symbol {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "struct elf64_phdr");
_Static_assert(sizeof(struct elf64_shdr) == 64, "struct elf64_shdr");
_Static_assert(sizeof(struct elf64_symbol) == 24, "struct elf64_symbol");

enum {
    ELF_CLASS64 = 2,
    ELF_DATA_LSB = 1,
    ELF_PT_LOAD = 1,
    ELF_SHT_SYMTAB = 2,
    ELF_SHT_DYNSYM = 11,
    ELF_STT_FUNC = 2,
    ELF_SHN_UNDEF = 0,
};

struct elf_sym {
    uint64_t addr, size;
    uint32_t name; /* offset in strtab */
};

struct elf_load {
    uint64_t offset, vaddr, filesz;
};

/* The symbols of one file, by path; `ok` is 0 if it could not be read (cached anyway). */
struct elf_file {
    char* path;
    int ok;
    struct elf_load* loads;
    size_t nr_loads;
    struct elf_sym* syms;
    size_t nr_syms;
    char* strtab;
    size_t strtab_size;
    struct elf_file* next;
};

struct mapping {
    uint64_t start, end, offset;
    const char* path; /* in process_maps.names */
    const char* basename;
    struct elf_file* file; /* read at the first lookup in this mapping */
};

/* The executable mappings of one process, read once. */
struct process_maps {
    uint32_t pid;
    int ok;
    struct mapping* maps;
    size_t count;
    char* names; /* the maps text, paths NUL-terminated in place */
    struct process_maps* next;
};

struct usyms {
    struct elf_file* files;
    struct process_maps* processes;
};

static int read_at(int fd, void* buffer, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, (char*)buffer + done, size - done, (off_t)(offset + done));
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static int in_file(uint64_t offset, uint64_t size, uint64_t file_size) {
    return offset <= file_size && size <= file_size - offset;
}

static int compare_elf_syms(const void* a, const void* b) {
    uint64_t x = ((const struct elf_sym*)a)->addr, y = ((const struct elf_sym*)b)->addr;
    return x < y ? -1 : x > y;
}

/* Reads the PT_LOAD headers and the function symbols of the symbol table of section type
 * `table_type` (SHT_SYMTAB or SHT_DYNSYM). 0, or -1 if there is no usable table. */
static int elf_read_symbols(struct elf_file* f, int fd, uint64_t file_size, uint32_t table_type) {
    struct elf64_ehdr eh;
    if (read_at(fd, &eh, sizeof(eh), 0) != 0 || memcmp(eh.ident, "\177ELF", 4) != 0 ||
        eh.ident[4] != ELF_CLASS64 || eh.ident[5] != ELF_DATA_LSB ||
        eh.shentsize != sizeof(struct elf64_shdr) || eh.phentsize != sizeof(struct elf64_phdr) ||
        eh.shnum == 0 || eh.phnum == 0 ||
        !in_file(eh.shoff, (uint64_t)eh.shnum * sizeof(struct elf64_shdr), file_size) ||
        !in_file(eh.phoff, (uint64_t)eh.phnum * sizeof(struct elf64_phdr), file_size))
        return -1;

    if (!f->loads) {
        struct elf64_phdr* ph = malloc((size_t)eh.phnum * sizeof(*ph));
        f->loads = calloc(eh.phnum, sizeof(*f->loads));
        if (!ph || !f->loads || read_at(fd, ph, eh.phnum * sizeof(*ph), eh.phoff) != 0) {
            free(ph);
            return -1;
        }
        for (unsigned i = 0; i < eh.phnum; i++) {
            if (ph[i].type != ELF_PT_LOAD) continue;
            struct elf_load* l = &f->loads[f->nr_loads++];
            l->offset = ph[i].offset;
            l->vaddr = ph[i].vaddr;
            l->filesz = ph[i].filesz;
        }
        free(ph);
    }

    struct elf64_shdr* sh = malloc((size_t)eh.shnum * sizeof(*sh));
    if (!sh || read_at(fd, sh, eh.shnum * sizeof(*sh), eh.shoff) != 0) {
        free(sh);
        return -1;
    }
    int result = -1;
    for (unsigned i = 0; i < eh.shnum && result != 0; i++) {
        const struct elf64_shdr* table = &sh[i];
        if (table->type != table_type || table->link >= eh.shnum ||
            table->entsize != sizeof(struct elf64_symbol))
            continue;
        const struct elf64_shdr* strings = &sh[table->link];
        if (table->size > USYMS_MAX_TABLE || strings->size > USYMS_MAX_TABLE ||
            strings->size == 0 || !in_file(table->offset, table->size, file_size) ||
            !in_file(strings->offset, strings->size, file_size))
            continue;
        size_t count = table->size / sizeof(struct elf64_symbol);
        struct elf64_symbol* raw = malloc(count * sizeof(*raw) + 1);
        char* strtab = malloc(strings->size + 1);
        struct elf_sym* syms = malloc(count * sizeof(*syms) + 1);
        if (!raw || !strtab || !syms ||
            read_at(fd, raw, count * sizeof(*raw), table->offset) != 0 ||
            read_at(fd, strtab, strings->size, strings->offset) != 0) {
            free(raw);
            free(strtab);
            free(syms);
            continue;
        }
        strtab[strings->size] = '\0'; /* every name ends inside the buffer */
        size_t kept = 0;
        for (size_t k = 0; k < count; k++) {
            if ((raw[k].info & 0xf) != ELF_STT_FUNC || raw[k].shndx == ELF_SHN_UNDEF ||
                raw[k].value == 0 || raw[k].name >= strings->size)
                continue;
            syms[kept].addr = raw[k].value;
            syms[kept].size = raw[k].size;
            syms[kept].name = raw[k].name;
            kept++;
        }
        free(raw);
        qsort(syms, kept, sizeof(*syms), compare_elf_syms);
        f->syms = syms;
        f->nr_syms = kept;
        f->strtab = strtab;
        f->strtab_size = strings->size;
        result = 0;
    }
    free(sh);
    return result;
}

static struct elf_file* usyms_file(struct usyms* us, const char* path) {
    for (struct elf_file* f = us->files; f; f = f->next)
        if (strcmp(f->path, path) == 0) return f;
    struct elf_file* f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->path = strdup(path);
    f->next = us->files;
    us->files = f;
    int fd = f->path ? open(path, O_RDONLY) : -1;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t size = (uint64_t)st.st_size;
        f->ok = elf_read_symbols(f, fd, size, ELF_SHT_SYMTAB) == 0 ||
                elf_read_symbols(f, fd, size, ELF_SHT_DYNSYM) == 0;
    }
    if (fd >= 0) close(fd);
    return f;
}

/* Parses "start-end perms offset dev inode [path]" lines, keeping executable file mappings. */
static void usyms_parse_maps(struct process_maps* pm) {
    size_t capacity = 0;
    for (char* line = pm->names; *line;) {
        char* end = strchr(line, '\n');
        if (end) *end = '\0';
        unsigned long long start = 0, stop = 0, offset = 0;
        char perms[8] = "";
        int path_at = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &stop, perms, &offset,
                   &path_at) >= 4 &&
            perms[2] == 'x' && path_at > 0 && line[path_at] == '/') {
            char* path = line + path_at;
            char* deleted = strstr(path, " (deleted)");
            if (deleted) *deleted = '\0';
            if (pm->count == capacity) {
                capacity = capacity ? capacity * 2 : 32;
                struct mapping* bigger = realloc(pm->maps, capacity * sizeof(*bigger));
                if (!bigger) return;
                pm->maps = bigger;
            }
            struct mapping* m = &pm->maps[pm->count++];
            m->start = start;
            m->end = stop;
            m->offset = offset;
            m->path = path;
            m->file = NULL;
            const char* slash = strrchr(path, '/');
            m->basename = slash ? slash + 1 : path;
        }
        if (!end) break;
        line = end + 1;
    }
}

static struct process_maps* usyms_process(struct usyms* us, uint32_t pid) {
    for (struct process_maps* pm = us->processes; pm; pm = pm->next)
        if (pm->pid == pid) return pm;
    struct process_maps* pm = calloc(1, sizeof(*pm));
    if (!pm) return NULL;
    pm->pid = pid;
    pm->next = us->processes;
    us->processes = pm;
    char path[32];
    snprintf(path, sizeof(path), "/proc/%u/maps", pid);
    pm->names = read_whole_file(path, 64u << 20, NULL);
    if (pm->names) {
        pm->ok = 1;
        usyms_parse_maps(pm);
    }
    return pm;
}

/* Reads a process's mappings now (before it exits), if not read yet; the files mapped are
 * read at the first lookup. */
static void usyms_remember_process(struct usyms* us, uint32_t pid) {
    usyms_process(us, pid);
}

/* Names the function of `pid` at `addr`: "name", "[binary]" when the file has no symbol
 * there, or "[unknown]". The result is valid until the next call. */
static const char* usyms_find(struct usyms* us, uint32_t pid, uint64_t addr) {
    static char text[80];
    struct process_maps* pm = usyms_process(us, pid);
    if (!pm) return "[unknown]";
    for (size_t i = 0; i < pm->count; i++) {
        struct mapping* m = &pm->maps[i];
        if (addr < m->start || addr >= m->end) continue;
        if (!m->file) m->file = usyms_file(us, m->path);
        const struct elf_file* f = m->file;
        uint64_t file_offset = addr - m->start + m->offset;
        for (size_t j = 0; f && f->ok && j < f->nr_loads; j++) {
            const struct elf_load* l = &f->loads[j];
            if (file_offset < l->offset || file_offset - l->offset >= l->filesz) continue;
            uint64_t vaddr = file_offset - l->offset + l->vaddr;
            size_t low = 0, high = f->nr_syms;
            while (low < high) { /* first symbol above vaddr */
                size_t mid = low + (high - low) / 2;
                if (f->syms[mid].addr <= vaddr)
                    low = mid + 1;
                else
                    high = mid;
            }
            if (low) {
                const struct elf_sym* s = &f->syms[low - 1];
                if (s->size == 0 || vaddr - s->addr < s->size) return f->strtab + s->name;
            }
            break;
        }
        snprintf(text, sizeof(text), "[%s]", m->basename);
        return text;
    }
    return "[unknown]";
}

#endif /* PROFILE_USYMS_H */
