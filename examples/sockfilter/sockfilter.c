// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockfilter, user half (wasm32-wasi guest): attaches sockfilter.bpf.o to a packet socket the
 * host opens on the interface given with -i, prints the packets of every interval by protocol
 * and direction, and the totals since start when it ends (after COUNT intervals, or on
 * SIGINT/SIGTERM). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockfilter.h"
#include "sockfilter.skel.h"

#define WBPF_TOOL_NAME "sockfilter"
#include <wbpf/tool.h>

#define FOREVER 99999999UL

struct options {
    const char* interface;
    unsigned long port; /* 0: every packet */
    unsigned long interval;
    unsigned long count;
    int timestamp;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: sockfilter -i IFACE [-P PORT] [-T] [-v] [-h] [interval] [count]\n"
                 "Count the packets received and sent on IFACE by protocol, with a socket filter\n"
                 "on a packet socket bound to IFACE.\n"
                 "\n"
                 "  -i IFACE  the interface (required)\n"
                 "  -P PORT   only TCP and UDP packets from or to PORT\n"
                 "  -T        print a timestamp before every table\n"
                 "  -v        report progress on stderr\n"
                 "  -h        show this help\n"
                 "  interval  print the packets of the last interval every INTERVAL seconds\n"
                 "  count     stop after COUNT intervals (default: until Ctrl-C)\n"
                 "\n"
                 "The totals since start are printed at the end.\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "i:P:Tvh")) != -1) {
        switch (c) {
        case 'i':
            if (!wbpf_valid_ifname(optarg, strlen(optarg))) {
                wbpf_tool_warn("invalid interface name '%s'", optarg);
                return -1;
            }
            options->interface = optarg;
            break;
        case 'P':
            if (wbpf_parse_ulong(optarg, 1, 65535, &options->port)) {
                wbpf_tool_warn("invalid port '%s'", optarg);
                return -1;
            }
            break;
        case 'T': options->timestamp = 1; break;
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

/* One protocol, both directions: totals read from the map, and what the last table showed. */
struct protocol {
    uint16_t eth_proto;
    uint8_t ip_proto;
    struct protocol_counters total[2]; /* [outgoing] */
    struct protocol_counters shown[2];
};

struct protocols {
    struct protocol items[SOCKFILTER_MAX_KEYS];
    size_t size;
};

static struct protocol* find_or_add(struct protocols* protocols, const struct protocol_key* key) {
    for (size_t i = 0; i < protocols->size; i++) {
        struct protocol* p = &protocols->items[i];
        if (p->eth_proto == key->eth_proto && p->ip_proto == key->ip_proto) return p;
    }
    if (protocols->size == SOCKFILTER_MAX_KEYS) return NULL;
    struct protocol* p = &protocols->items[protocols->size++];
    memset(p, 0, sizeof(*p));
    p->eth_proto = key->eth_proto;
    p->ip_proto = key->ip_proto;
    return p;
}

/* Reads every counter of the map into `protocols`. 0 or -errno. */
static int read_counters(struct sockfilter_bpf* skel, struct protocols* protocols) {
    struct protocol_key key, next;
    const struct protocol_key* previous = NULL;
    /* Entries are never deleted, so iteration ends; bounded all the same. */
    for (size_t steps = 0; steps < 2 * SOCKFILTER_MAX_KEYS; steps++) {
        int err = bpf_map__get_next_key(skel->maps.counters, previous, &next, sizeof(next));
        if (err == -ENOENT) return 0;
        if (err) return err;
        key = next;
        previous = &key;
        struct protocol_counters value;
        err =
            bpf_map__lookup_elem(skel->maps.counters, &key, sizeof(key), &value, sizeof(value), 0);
        if (err) return err;
        struct protocol* p = find_or_add(protocols, &key);
        if (p) p->total[key.outgoing ? 1 : 0] = value;
    }
    return 0;
}

static const char* ip_protocol_name(uint8_t ip_proto) {
    switch (ip_proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 58: return "ICMPv6";
    case 132: return "SCTP";
    default: return NULL;
    }
}

static void format_protocol(const struct protocol* p, char* out, size_t size) {
    const char* family = p->eth_proto == 0x0800 ? "IPv4" : p->eth_proto == 0x86DD ? "IPv6" : NULL;
    if (family) {
        const char* name = ip_protocol_name(p->ip_proto);
        if (name)
            snprintf(out, size, "%s/%s", family, name);
        else
            snprintf(out, size, "%s/%u", family, p->ip_proto);
    } else if (p->eth_proto == 0x0806) {
        snprintf(out, size, "ARP");
    } else {
        snprintf(out, size, "0x%04x", p->eth_proto);
    }
}

/* Prints each protocol's packets since the previous table (`totals`: since start). */
static void print_table(struct protocols* protocols, const struct options* options, int totals) {
    if (options->timestamp) wbpf_print_time("\n");
    if (totals) printf("TOTAL since start on %s:\n", options->interface);
    printf("%-12s %10s %12s %10s %12s\n", "PROTOCOL", "RX-PACKETS", "RX-BYTES", "TX-PACKETS",
           "TX-BYTES");
    for (size_t i = 0; i < protocols->size; i++) {
        struct protocol* p = &protocols->items[i];
        unsigned long long delta[2][2]; /* [outgoing][packets, bytes] */
        for (int d = 0; d < 2; d++) {
            delta[d][0] = p->total[d].packets - (totals ? 0 : p->shown[d].packets);
            delta[d][1] = p->total[d].bytes - (totals ? 0 : p->shown[d].bytes);
            if (!totals) p->shown[d] = p->total[d];
        }
        if (delta[0][0] == 0 && delta[1][0] == 0) continue;
        char name[24];
        format_protocol(p, name, sizeof(name));
        printf("%-12s %10llu %12llu %10llu %12llu\n", name, delta[0][0], delta[0][1], delta[1][0],
               delta[1][1]);
    }
    printf("\n");
    fflush(stdout);
}

static int by_protocol(const void* a, const void* b) {
    const struct protocol* x = a;
    const struct protocol* y = b;
    if (x->eth_proto != y->eth_proto) return x->eth_proto < y->eth_proto ? -1 : 1;
    return (int)x->ip_proto - (int)y->ip_proto;
}

int main(int argc, char** argv) {
    struct options options = {.interval = FOREVER, .count = FOREVER};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    static struct protocols protocols; /* 40 KB: not on the guest's small stack */
    struct sockfilter_bpf* skel = sockfilter_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    skel->rodata->filter_port = (uint16_t)options.port; /* written into .rodata at load */
    int err = wbpf_tool_check(sockfilter_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    /* The host opens a packet socket bound to the interface and attaches the filter to it. */
    err = wbpf_attach_to(skel->progs.sockfilter_count, options.interface);
    if (err) {
        wbpf_tool_warn("failed to attach to interface '%s': %s", options.interface,
                       err == -ENODEV ? "no such interface" : strerror(-err));
        goto cleanup;
    }
    if (options.verbose) wbpf_tool_warn("attached to %s", options.interface);

    printf("Counting packets by protocol on %s... Hit Ctrl-C to end.\n\n", options.interface);
    fflush(stdout);
    for (unsigned long done = 0; done < options.count;) {
        if (wbpf_sleep_interrupted(options.interval)) break; /* Ctrl-C: the summary */
        err = wbpf_tool_check(read_counters(skel, &protocols), "reading the counters failed");
        if (err) goto cleanup;
        qsort(protocols.items, protocols.size, sizeof(protocols.items[0]), by_protocol);
        if (options.interval != FOREVER) print_table(&protocols, &options, 0);
        if (options.count != FOREVER) done++;
    }
    err = wbpf_tool_check(read_counters(skel, &protocols), "reading the counters failed");
    if (err) goto cleanup;
    qsort(protocols.items, protocols.size, sizeof(protocols.items[0]), by_protocol);
    print_table(&protocols, &options, 1);

cleanup:
    sockfilter_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
