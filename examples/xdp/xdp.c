// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xdp, user half (wasm32-wasi guest): attaches xdp.bpf.o to the interface given with -i, prints
 * the packets and bytes each source IP sent in every interval, and the totals since start when
 * it ends (after COUNT intervals, or on SIGINT/SIGTERM). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp.h"
#include "xdp.skel.h"

#define WBPF_TOOL_NAME "xdp"
#include <wbpf/tool.h>

#define FOREVER 99999999UL

struct options {
    const char* interface;
    unsigned long interval; /* seconds */
    unsigned long count;    /* intervals; FOREVER: until Ctrl-C */
    unsigned long rows;
    int timestamp;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: xdp -i IFACE [-T] [-r ROWS] [-v] [-h] [interval] [count]\n"
                 "Count packets and bytes per source IP address with an XDP program on IFACE.\n"
                 "\n"
                 "  -i IFACE  the interface to attach to (required)\n"
                 "  -T        print a timestamp before every table\n"
                 "  -r ROWS   print at most ROWS sources per table, busiest first (default 20)\n"
                 "  -v        report progress on stderr\n"
                 "  -h        show this help\n"
                 "  interval  print the packets of the last interval every INTERVAL seconds\n"
                 "  count     stop after COUNT intervals (default: until Ctrl-C)\n"
                 "\n"
                 "The totals since start are printed at the end. Frames that are not IPv4 or IPv6\n"
                 "(ARP, LLDP...) are counted together as 'non-IP'.\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "i:Tr:vh")) != -1) {
        switch (c) {
        case 'i':
            if (!wbpf_valid_ifname(optarg, strlen(optarg))) {
                wbpf_tool_warn("invalid interface name '%s'", optarg);
                return -1;
            }
            options->interface = optarg;
            break;
        case 'T': options->timestamp = 1; break;
        case 'r':
            if (wbpf_parse_ulong(optarg, 1, 1000000, &options->rows)) {
                wbpf_tool_warn("invalid row count '%s'", optarg);
                return -1;
            }
            break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (wbpf_tool_interval_count(argc, argv, FOREVER, &options->interval, FOREVER, &options->count))
        return -1;
    if (!options->interface) {
        wbpf_tool_warn("an interface is required (-i IFACE)");
        return -1;
    }
    return 0;
}

struct source {
    struct source_key key;
    struct source_counters total;
    struct source_counters shown; /* totals at the previous interval's table */
};

/* Every source seen so far (at most MAX_TRACKED), in no particular order, with a hash index. */
#define MAX_TRACKED (XDP_MAX_SOURCES * 2)
#define INDEX_SLOTS 65536 /* a power of two, well above MAX_TRACKED */

struct sources {
    struct source* items;
    size_t size;
    uint32_t* index; /* INDEX_SLOTS slots: 0 empty, else item number + 1 */
};

static uint32_t hash_key(const struct source_key* key) {
    const uint8_t* bytes = (const uint8_t*)key;
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof(*key); i++)
        hash = (hash ^ bytes[i]) * 16777619u;
    return hash;
}

/* The source with `key`, added if new; NULL when out of memory or MAX_TRACKED is reached. */
static struct source* find_or_add_source(struct sources* sources, const struct source_key* key) {
    if (!sources->index) {
        sources->index = calloc(INDEX_SLOTS, sizeof(*sources->index));
        sources->items = calloc(MAX_TRACKED, sizeof(*sources->items));
        if (!sources->index || !sources->items) return NULL;
    }
    for (uint32_t slot = hash_key(key) & (INDEX_SLOTS - 1);;
         slot = (slot + 1) & (INDEX_SLOTS - 1)) {
        uint32_t entry = sources->index[slot];
        if (entry == 0) {
            if (sources->size == MAX_TRACKED) return NULL;
            struct source* source = &sources->items[sources->size++];
            source->key = *key;
            sources->index[slot] = (uint32_t)sources->size;
            return source;
        }
        if (memcmp(&sources->items[entry - 1].key, key, sizeof(*key)) == 0)
            return &sources->items[entry - 1];
    }
}

/* Reads every counter from the map into `sources`. A source the LRU map evicted keeps its last
 * totals. 0 or -errno. */
static int read_counters(struct xdp_bpf* skel, struct sources* sources) {
    struct source_key key, next;
    const struct source_key* previous = NULL;
    /* Bounded: should an entry be evicted under our feet, iteration restarts from the first. */
    for (size_t steps = 0; steps < 4 * XDP_MAX_SOURCES; steps++) {
        int err = bpf_map__get_next_key(skel->maps.counters, previous, &next, sizeof(next));
        if (err == -ENOENT) return 0;
        if (err) return err;
        key = next;
        previous = &key;
        struct source_counters value;
        err =
            bpf_map__lookup_elem(skel->maps.counters, &key, sizeof(key), &value, sizeof(value), 0);
        if (err == -ENOENT) continue; /* evicted meanwhile */
        if (err) return err;
        struct source* source = find_or_add_source(sources, &key);
        if (!source) {
            if (!sources->items || !sources->index) return -ENOMEM;
            continue; /* MAX_TRACKED reached: churn beyond any reason, not shown */
        }
        source->total = value;
    }
    return 0;
}

static void format_source(const struct source_key* key, char* out, size_t size) {
    if (key->family == XDP_SOURCE_IPV4)
        inet_ntop(AF_INET, key->addr, out, size);
    else if (key->family == XDP_SOURCE_IPV6)
        inet_ntop(AF_INET6, key->addr, out, size);
    else
        snprintf(out, size, "non-IP");
}

struct row {
    const struct source* source;
    unsigned long long packets, bytes;
};

static int by_packets_descending(const void* a, const void* b) {
    const struct row* x = a;
    const struct row* y = b;
    if (x->packets != y->packets) return x->packets < y->packets ? 1 : -1;
    return memcmp(&x->source->key, &y->source->key, sizeof(x->source->key));
}

/* Prints the sources' packets since the previous table (`totals`: since start), busiest first,
 * and marks them shown. */
static void print_table(struct sources* sources, const struct options* options, int totals) {
    struct row* rows = calloc(sources->size ? sources->size : 1, sizeof(*rows));
    size_t n = 0;
    unsigned long long all_packets = 0, all_bytes = 0;
    for (size_t i = 0; i < sources->size; i++) {
        struct source* s = &sources->items[i];
        unsigned long long packets = s->total.packets - (totals ? 0 : s->shown.packets);
        unsigned long long bytes = s->total.bytes - (totals ? 0 : s->shown.bytes);
        if (!totals) s->shown = s->total;
        if (packets == 0) continue;
        all_packets += packets;
        all_bytes += bytes;
        if (rows) rows[n++] = (struct row){s, packets, bytes};
    }
    if (options->timestamp) wbpf_print_time("\n");
    if (totals) printf("TOTAL since start: %llu packets, %llu bytes\n", all_packets, all_bytes);
    printf("%-39s %10s %12s\n", "SRC-IP", "PACKETS", "BYTES");
    if (rows) {
        qsort(rows, n, sizeof(*rows), by_packets_descending);
        for (size_t i = 0; i < n && i < options->rows; i++) {
            char address[48];
            format_source(&rows[i].source->key, address, sizeof(address));
            printf("%-39s %10llu %12llu\n", address, rows[i].packets, rows[i].bytes);
        }
        if (n > options->rows) printf("(%zu more sources)\n", n - options->rows);
    }
    printf("\n");
    fflush(stdout);
    free(rows);
}

int main(int argc, char** argv) {
    struct options options = {.interval = FOREVER, .count = FOREVER, .rows = 20};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct sources sources = {0};
    struct xdp_bpf* skel = xdp_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    int err = wbpf_tool_check(xdp_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    err = wbpf_attach_to(skel->progs.xdp_count, options.interface);
    if (err) {
        wbpf_tool_warn("failed to attach to interface '%s': %s", options.interface,
                       err == -ENODEV ? "no such interface" : strerror(-err));
        goto cleanup;
    }
    if (options.verbose) wbpf_tool_warn("attached to %s", options.interface);

    printf("Counting packets per source IP on %s... Hit Ctrl-C to end.\n\n", options.interface);
    fflush(stdout);
    for (unsigned long done = 0; done < options.count;) {
        if (wbpf_sleep_interrupted(options.interval)) break; /* Ctrl-C: the summary */
        err = wbpf_tool_check(read_counters(skel, &sources), "reading the counters failed");
        if (err) goto cleanup;
        if (options.interval != FOREVER) print_table(&sources, &options, 0);
        if (options.count != FOREVER) done++;
    }
    err = wbpf_tool_check(read_counters(skel, &sources), "reading the counters failed");
    if (err) goto cleanup;
    print_table(&sources, &options, 1);

cleanup:
    free(sources.items);
    free(sources.index);
    xdp_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
