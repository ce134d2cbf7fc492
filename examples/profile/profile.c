// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* profile, user half (wasm32-wasi guest): samples what every CPU runs at -F HZ with a
 * perf_event program (the host opens a cpu-clock event per CPU for the attach target
 * "freq=HZ"), and at the end (-d SECONDS, or Ctrl-C) prints the sampled stacks with their
 * counts, symbolized in the guest: kernel frames from /proc/kallsyms, user frames from the
 * ELF symbol tables of the mapped files. Needs `wbpf run --dir /proc --dir /` (see README). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"
#include "profile.h"
#include "profile.skel.h"
#include "usyms.h"

#define WBPF_TOOL_NAME "profile"
#include <wbpf/tool.h>

#define DEFAULT_FREQUENCY 49
#define MAX_FREQUENCY 100000 /* the host's limit for "freq=" */

struct options {
    int pid;
    unsigned long frequency;
    unsigned long duration_s; /* 0: until Ctrl-C */
    int folded, user_only, kernel_only, include_idle;
};

static void usage(FILE* out) {
    fprintf(out,
            "Usage: profile [-p PID] [-F HZ] [-d SECONDS] [-f] [-U | -K] [-I] [-h]\n"
            "Profile CPU usage by sampling stack traces at a timed interval.\n"
            "\n"
            "  -p PID      only this process\n"
            "  -F HZ       sample frequency per CPU (default %d)\n"
            "  -d SECONDS  stop after SECONDS (default: at Ctrl-C)\n"
            "  -f          folded output, one line per stack (flame graph input)\n"
            "  -U          user stacks only      -K  kernel stacks only\n"
            "  -I          include the idle task (CPU idle time)\n"
            "  -h          show this help\n"
            "Run with `wbpf run --dir /proc --dir / profile.wasm` for symbols.\n",
            DEFAULT_FREQUENCY);
}

/* Returns 0 and fills *o, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* o) {
    int c;
    while ((c = getopt(argc, argv, "p:F:d:fUKIh")) != -1) {
        switch (c) {
        case 'p':
            if (wbpf_parse_pid(optarg, &o->pid)) {
                wbpf_tool_warn("invalid PID '%s'", optarg);
                return -1;
            }
            break;
        case 'F':
            if (wbpf_parse_ulong(optarg, 1, MAX_FREQUENCY, &o->frequency)) {
                wbpf_tool_warn("invalid frequency '%s' (1..%d)", optarg, MAX_FREQUENCY);
                return -1;
            }
            break;
        case 'd':
            if (wbpf_parse_ulong(optarg, 1, 10UL * 365 * 24 * 3600, &o->duration_s)) {
                wbpf_tool_warn("invalid duration '%s'", optarg);
                return -1;
            }
            break;
        case 'f': o->folded = 1; break;
        case 'U': o->user_only = 1; break;
        case 'K': o->kernel_only = 1; break;
        case 'I': o->include_idle = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (o->user_only && o->kernel_only) {
        wbpf_tool_warn("-U and -K are mutually exclusive");
        return -1;
    }
    return wbpf_tool_no_more_args(argc, argv);
}

struct sample {
    struct sample_key key;
    uint64_t count;
};

/* Reads every (key, count) of the counts map, in map order; the number read, or -errno. */
static long read_samples(int counts_fd, struct sample** out) {
    size_t count = 0, capacity = 0;
    struct sample* samples = NULL;
    struct sample_key key, next;
    const void* previous = NULL;
    int err;
    while ((err = bpf_map_get_next_key(counts_fd, previous, &next)) == 0) {
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            struct sample* bigger = realloc(samples, capacity * sizeof(*bigger));
            if (!bigger) {
                free(samples);
                return -ENOMEM;
            }
            samples = bigger;
        }
        if (bpf_map_lookup_elem(counts_fd, &next, &samples[count].count) == 0) {
            samples[count].key = next;
            count++;
        }
        key = next;
        previous = &key;
    }
    if (err != -ENOENT) {
        free(samples);
        return err;
    }
    *out = samples;
    return (long)count;
}

struct symbolizer {
    struct ksyms kernel;
    int kernel_loaded; /* 0: not tried, 1: loaded, -1: unreadable */
    struct usyms user;
};

static const char* kernel_frame(struct symbolizer* s, uint64_t addr) {
    if (!s->kernel_loaded) {
        s->kernel_loaded = ksyms_load(&s->kernel) == 0 ? 1 : -1;
        if (s->kernel_loaded < 0)
            wbpf_tool_warn("cannot read /proc/kallsyms (run with --dir /proc): "
                           "kernel frames are not symbolized");
    }
    const char* name = s->kernel_loaded > 0 ? ksyms_find(&s->kernel, addr) : NULL;
    return name ? name : "[unknown]";
}

/* A stack's frames, innermost first; the number of frames (0 if the stack is missing). */
static int read_stack(int stacks_fd, int32_t id, uint64_t frames[PROFILE_MAX_STACK_DEPTH]) {
    if (id < 0) return 0;
    uint32_t key = (uint32_t)id;
    if (bpf_map_lookup_elem(stacks_fd, &key, frames) != 0) return 0;
    int depth = 0;
    while (depth < PROFILE_MAX_STACK_DEPTH && frames[depth])
        depth++;
    return depth;
}

/* A stack id the kernel could not store: -EEXIST (another stack holds its hash bucket) or
 * -ENOMEM, in Linux's numbering (bpf_get_stackid's result, not the guest libc's errno). */
static int stack_lost(int32_t id) {
    return id == -17 || id == -12;
}

/* Return addresses point after the call: look up the call itself (the innermost frame is the
 * interrupted instruction and stays as is). */
static uint64_t call_site(uint64_t addr, int depth) {
    return depth > 0 && addr > 0 ? addr - 1 : addr;
}

static void print_comm(FILE* out, const char* comm) {
    for (int i = 0; i < TASK_COMM_LEN && comm[i]; i++) /* ';' and ' ' would split the line */
        fputc(comm[i] == ';' || comm[i] == ' ' ? '_' : comm[i], out);
}

/* Reads the maps of a newly sampled process and the symbols of the files its user stack
 * runs in, so processes that exit before the end still get user symbols and little work is
 * left for the end (after Ctrl-C the guest has `wbpf run --grace-period`, 1 s by default). */
static void warm_user_symbols(struct symbolizer* s, int counts_fd, int stacks_fd) {
    static uint8_t seen[PROFILE_STACK_ENTRIES / 8];
    static uint64_t frames[PROFILE_MAX_STACK_DEPTH];
    struct sample_key key, next;
    const void* previous = NULL;
    while (bpf_map_get_next_key(counts_fd, previous, &next) == 0) {
        int32_t id = next.user_stack_id;
        if (id >= 0 && id < PROFILE_STACK_ENTRIES && !(seen[id / 8] & (1u << (id % 8)))) {
            seen[id / 8] |= (uint8_t)(1u << (id % 8));
            int depth = read_stack(stacks_fd, id, frames);
            for (int i = 0; i < depth; i++)
                usyms_find(&s->user, next.pid, call_site(frames[i], i));
        }
        key = next;
        previous = &key;
    }
}

/* Sleeps until the duration is over (forever if 0) or SIGINT/SIGTERM, warming the user symbol
 * caches every second. */
static void wait_for_end(const struct options* o, struct symbolizer* s, int counts_fd,
                         int stacks_fd) {
    unsigned long elapsed = 0;
    while (o->duration_s == 0 || elapsed < o->duration_s) {
        if (wbpf_sleep_interrupted(1)) return;
        elapsed++;
        if (!o->kernel_only) warm_user_symbols(s, counts_fd, stacks_fd);
    }
}

/* Writes comm;user frames outermost first;kernel frames (suffix _[k]) outermost first. */
static void render_folded(FILE* out, struct symbolizer* s, const struct sample* sample,
                          int stacks_fd) {
    static uint64_t user[PROFILE_MAX_STACK_DEPTH], kernel[PROFILE_MAX_STACK_DEPTH];
    int user_depth = read_stack(stacks_fd, sample->key.user_stack_id, user);
    int kernel_depth = read_stack(stacks_fd, sample->key.kernel_stack_id, kernel);
    print_comm(out, sample->key.comm);
    if (stack_lost(sample->key.user_stack_id)) fprintf(out, ";[lost]");
    for (int i = user_depth - 1; i >= 0; i--)
        fprintf(out, ";%s", usyms_find(&s->user, sample->key.pid, call_site(user[i], i)));
    if (stack_lost(sample->key.kernel_stack_id)) fprintf(out, ";[lost]_[k]");
    for (int i = kernel_depth - 1; i >= 0; i--)
        fprintf(out, ";%s_[k]", kernel_frame(s, kernel[i]));
}

/* Writes kernel frames innermost first, "--", user frames, then "-  comm (pid)". */
static void render_multiline(FILE* out, struct symbolizer* s, const struct sample* sample,
                             int stacks_fd) {
    static uint64_t user[PROFILE_MAX_STACK_DEPTH], kernel[PROFILE_MAX_STACK_DEPTH];
    int user_depth = read_stack(stacks_fd, sample->key.user_stack_id, user);
    int kernel_depth = read_stack(stacks_fd, sample->key.kernel_stack_id, kernel);
    if (stack_lost(sample->key.kernel_stack_id)) fprintf(out, "    [lost]\n");
    for (int i = 0; i < kernel_depth; i++)
        fprintf(out, "    %s\n", kernel_frame(s, kernel[i]));
    if (kernel_depth && user_depth) fprintf(out, "    --\n");
    if (stack_lost(sample->key.user_stack_id)) fprintf(out, "    [lost]\n");
    for (int i = 0; i < user_depth; i++)
        fprintf(out, "    %s\n", usyms_find(&s->user, sample->key.pid, call_site(user[i], i)));
    fprintf(out, "    -                ");
    print_comm(out, sample->key.comm);
    fprintf(out, " (%u)\n", sample->key.pid);
}

/* One symbolized stack and how often it was sampled. Different raw stacks (other return
 * addresses in the same functions) often symbolize alike and are merged. */
struct stack_text {
    char* text;
    uint64_t count;
};

static int by_text(const void* a, const void* b) {
    return strcmp(((const struct stack_text*)a)->text, ((const struct stack_text*)b)->text);
}

static int by_count_then_text(const void* a, const void* b) {
    const struct stack_text *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* Symbolizes, merges and prints `samples`, most frequent first. The number of stacks printed,
 * or -ENOMEM. */
static long print_stacks(const struct options* o, struct symbolizer* s,
                         const struct sample* samples, long count, int stacks_fd) {
    struct stack_text* stacks = calloc((size_t)count + 1, sizeof(*stacks));
    if (!stacks) return -ENOMEM;
    int err = 0;
    for (long i = 0; i < count && !err; i++) {
        size_t size = 0;
        FILE* out = open_memstream(&stacks[i].text, &size);
        if (!out) {
            err = -ENOMEM;
            break;
        }
        if (o->folded)
            render_folded(out, s, &samples[i], stacks_fd);
        else
            render_multiline(out, s, &samples[i], stacks_fd);
        if (fclose(out) != 0 || !stacks[i].text) err = -ENOMEM;
        stacks[i].count = samples[i].count;
    }
    long merged = 0;
    if (!err) {
        qsort(stacks, (size_t)count, sizeof(*stacks), by_text);
        for (long i = 0; i < count; i++) {
            if (merged && strcmp(stacks[merged - 1].text, stacks[i].text) == 0) {
                stacks[merged - 1].count += stacks[i].count;
                free(stacks[i].text);
                stacks[i].text = NULL;
                continue;
            }
            stacks[merged++] = stacks[i];
        }
        qsort(stacks, (size_t)merged, sizeof(*stacks), by_count_then_text);
        for (long i = 0; i < merged; i++) {
            if (o->folded)
                printf("%s %llu\n", stacks[i].text, (unsigned long long)stacks[i].count);
            else
                printf("%s        %llu\n\n", stacks[i].text, (unsigned long long)stacks[i].count);
        }
    } else {
        merged = count;
    }
    for (long i = 0; i < merged; i++)
        free(stacks[i].text);
    free(stacks);
    return err ? err : merged;
}

int main(int argc, char** argv) {
    struct options options = {.frequency = DEFAULT_FREQUENCY};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct profile_bpf* skel = profile_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    skel->rodata->target_pid = options.pid;
    skel->rodata->user_only = options.user_only;
    skel->rodata->kernel_only = options.kernel_only;
    skel->rodata->include_idle = options.include_idle;

    struct symbolizer symbols = {0};
    struct sample* samples = NULL;
    char target[32];
    snprintf(target, sizeof(target), "freq=%lu", options.frequency);
    int err = wbpf_tool_check(profile_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    /* Sampling events on every CPU, opened and owned by the host (perf_event attach target). */
    err = wbpf_tool_check(wbpf_attach_to(skel->progs.do_sample, target),
                          "failed to attach the perf_event program");
    if (err) goto cleanup;
    int counts_fd = bpf_map__fd(skel->maps.counts);
    int stacks_fd = bpf_map__fd(skel->maps.stacks);
    if (counts_fd < 0 || stacks_fd < 0) {
        err = wbpf_tool_check(counts_fd < 0 ? counts_fd : stacks_fd, "cannot find the maps");
        goto cleanup;
    }
    if (options.pid) usyms_remember_process(&symbols.user, options.pid);
    /* kallsyms takes a while to parse: before sampling rather than after Ctrl-C. */
    if (!options.user_only) kernel_frame(&symbols, 0);

    if (!options.folded) {
        printf("Sampling at %lu Hertz of %s by %s stack", options.frequency,
               options.pid ? "one process" : "all threads",
               options.user_only     ? "user"
               : options.kernel_only ? "kernel"
                                     : "user + kernel");
        if (options.duration_s)
            printf(" for %lu secs.\n", options.duration_s);
        else
            printf("... Hit Ctrl-C to end.\n");
        fflush(stdout);
    }
    wait_for_end(&options, &symbols, counts_fd, stacks_fd);

    long count = read_samples(counts_fd, &samples);
    if (count < 0) {
        err = wbpf_tool_check((int)count, "cannot read the sample counts");
        goto cleanup;
    }
    unsigned long long total = 0, lost = 0;
    for (long i = 0; i < count; i++) {
        total += samples[i].count;
        if (stack_lost(samples[i].key.user_stack_id) || stack_lost(samples[i].key.kernel_stack_id))
            lost += samples[i].count;
    }
    long printed = print_stacks(&options, &symbols, samples, count, stacks_fd);
    if (printed < 0) {
        err = wbpf_tool_check((int)printed, "cannot print the stacks");
        goto cleanup;
    }
    fflush(stdout);
    fprintf(stderr, "profile: %llu samples in %ld distinct stacks", total, printed);
    if (lost) fprintf(stderr, " (%llu with a stack [lost] to a stack map collision)", lost);
    fputc('\n', stderr);

cleanup:
    free(samples);
    ksyms_free(&symbols.kernel);
    profile_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
