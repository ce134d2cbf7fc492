// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tc, user half (wasm32-wasi guest): attaches tc.bpf.o as a classifier on one direction of an
 * interface, prints one line per packet from the ring buffer, and a per-protocol summary on
 * SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tc.h"
#include "tc.skel.h"

struct options {
    const char* target; /* IFACE[:ingress|egress], as the host expects it */
    char interface[16];
    const char* direction;
    unsigned long port; /* 0: every packet */
    int timestamp;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: tc -i IFACE[:ingress|egress] [-P PORT] [-T] [-v] [-h]\n"
                 "Log the packets crossing one direction of an interface, with a tc classifier.\n"
                 "\n"
                 "  -i IFACE[:DIR]  the interface and direction (default ingress)\n"
                 "  -P PORT         only TCP and UDP packets from or to PORT\n"
                 "  -T              print a TIME column\n"
                 "  -v              report progress on stderr\n"
                 "  -h              show this help\n"
                 "\n"
                 "Ctrl-C prints how many packets were logged, by protocol.\n");
}

/* Checks IFACE[:ingress|egress] and splits it into options->interface and ->direction. */
static int parse_target(const char* text, struct options* options) {
    const char* colon = strchr(text, ':');
    size_t length = colon ? (size_t)(colon - text) : strlen(text);
    options->direction = "ingress";
    if (colon) {
        if (strcmp(colon + 1, "ingress") == 0)
            options->direction = "ingress";
        else if (strcmp(colon + 1, "egress") == 0)
            options->direction = "egress";
        else
            return -1;
    }
    if (length == 0 || length >= sizeof(options->interface)) return -1;
    for (size_t i = 0; i < length; i++)
        if (text[i] == '/' || text[i] == ' ' || text[i] == '\t' || text[i] == '\n') return -1;
    memcpy(options->interface, text, length);
    options->interface[length] = '\0';
    options->target = text;
    return 0;
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "i:P:Tvh")) != -1) {
        switch (c) {
        case 'i':
            if (parse_target(optarg, options)) {
                fprintf(stderr, "tc: invalid target '%s' (IFACE[:ingress|egress])\n", optarg);
                return -1;
            }
            break;
        case 'P': {
            char* end = NULL;
            errno = 0;
            options->port = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
                options->port == 0 || options->port > 65535) {
                fprintf(stderr, "tc: invalid port '%s'\n", optarg);
                return -1;
            }
            break;
        }
        case 'T': options->timestamp = 1; break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tc: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!options->target) {
        fprintf(stderr, "tc: an interface is required (-i IFACE[:ingress|egress])\n");
        return -1;
    }
    return 0;
}

/* Protocols the summary counts separately; the last one takes everything else. */
enum protocol { P_TCP, P_UDP, P_ICMP, P_ICMPV6, P_IPV4_OTHER, P_IPV6_OTHER, P_ARP, P_OTHER, P_N };
static const char* const protocol_names[P_N] = {"TCP",  "UDP",  "ICMP", "ICMPv6",
                                                "IPv4", "IPv6", "ARP",  "other"};

static enum protocol classify(const struct packet* p) {
    if (p->family == TC_FAMILY_IPV4 || p->family == TC_FAMILY_IPV6) {
        switch (p->ip_proto) {
        case 6: return P_TCP;
        case 17: return P_UDP;
        case 1: return P_ICMP;
        case 58: return P_ICMPV6;
        default: return p->family == TC_FAMILY_IPV4 ? P_IPV4_OTHER : P_IPV6_OTHER;
        }
    }
    return p->eth_proto == 0x0806 ? P_ARP : P_OTHER;
}

struct state {
    const struct options* options;
    unsigned long long by_protocol[P_N];
    unsigned long long logged;
};

/* "addr" or "addr:port" (IPv6: "[addr]:port") into out. */
static void format_endpoint(int family, const uint8_t* addr, int has_port, uint16_t port, char* out,
                            size_t size) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family == TC_FAMILY_IPV4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    if (!has_port)
        snprintf(out, size, "%s", text);
    else if (family == TC_FAMILY_IPV6)
        snprintf(out, size, "[%s]:%u", text, port);
    else
        snprintf(out, size, "%s:%u", text, port);
}

static int handle_packet(void* ctx, void* data, size_t size) {
    struct state* state = ctx;
    const struct packet* p = data;
    if (size < sizeof(*p)) return 0; /* not ours: ignore rather than read past the record */
    enum protocol protocol = classify(p);
    state->by_protocol[protocol]++;
    state->logged++;

    if (state->options->timestamp) {
        char ts[16];
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
        printf("%-8s ", ts);
    }
    char source[64] = "-", destination[64] = "-", name[16];
    if (protocol == P_IPV4_OTHER || protocol == P_IPV6_OTHER)
        snprintf(name, sizeof(name), "%s/%u", protocol_names[protocol], p->ip_proto);
    else if (protocol == P_OTHER)
        snprintf(name, sizeof(name), "0x%04x", p->eth_proto);
    else
        snprintf(name, sizeof(name), "%s", protocol_names[protocol]);
    if (p->family == TC_FAMILY_IPV4 || p->family == TC_FAMILY_IPV6) {
        int has_port = protocol == P_TCP || protocol == P_UDP;
        format_endpoint(p->family, p->saddr, has_port, p->sport, source, sizeof(source));
        format_endpoint(p->family, p->daddr, has_port, p->dport, destination, sizeof(destination));
    }
    printf("%-7s %-15s %-7s %-21s %-21s %u", state->options->direction, state->options->interface,
           name, source, destination, p->length);
    if (protocol == P_TCP) {
        static const char flag_letters[] = "FSRPAU";
        char flags[8];
        size_t n = 0;
        for (int bit = 0; bit < 6; bit++)
            if (p->tcp_flags & (1u << bit)) flags[n++] = flag_letters[bit];
        flags[n] = '\0';
        printf(" %s", n ? flags : ".");
    }
    putchar('\n');
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 1;
    }

    struct tc_bpf* skel = tc_bpf__open();
    if (!skel) {
        fprintf(stderr, "tc: failed to open the BPF skeleton: %s\n", strerror(errno));
        return 1;
    }
    skel->rodata->filter_port = (uint16_t)options.port; /* written into .rodata at load */

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = tc_bpf__load(skel);
    if (err) {
        fprintf(stderr, "tc: failed to load the BPF object: %s\n", strerror(-err));
        goto cleanup;
    }
    err = bpf_program__set_attach_target(skel->progs.tc_log, 0, options.target);
    if (!err && !bpf_program__attach(skel->progs.tc_log)) err = -errno;
    if (err) {
        fprintf(stderr, "tc: failed to attach to %s of '%s': %s\n", options.direction,
                options.interface, err == -ENODEV ? "no such interface" : strerror(-err));
        goto cleanup;
    }
    if (options.verbose) fprintf(stderr, "tc: attached to %s\n", options.target);

    buffer = bpf_buffer__new(skel->maps.packets, NULL);
    if (!buffer) {
        err = -errno;
        fprintf(stderr, "tc: failed to create the ring buffer: %s\n", strerror(errno));
        goto cleanup;
    }
    err = bpf_buffer__open(buffer, handle_packet, &state);
    if (err) {
        fprintf(stderr, "tc: failed to open the ring buffer: %s\n", strerror(-err));
        goto cleanup;
    }

    if (options.timestamp) printf("%-8s ", "TIME");
    printf("%-7s %-15s %-7s %-21s %-21s %s\n", "DIR", "IFACE", "PROTO", "SOURCE", "DESTINATION",
           "LEN");
    fflush(stdout);
    for (;;) {
        err = bpf_buffer__poll(buffer, 100 /* ms */);
        if (err > 0) fflush(stdout); /* one write per batch, also when stdout is a pipe */
        if (err == -EINTR) {         /* SIGINT/SIGTERM: the last records were delivered */
            err = 0;
            break;
        }
        if (err < 0) {
            fprintf(stderr, "tc: polling the ring buffer failed: %s\n", strerror(-err));
            goto cleanup;
        }
    }

    unsigned long long lost = 0;
    if (wbpf_map__pull_datasec(skel->maps.bss) == 0) lost = skel->bss->lost_packets;
    printf("\n%llu packets logged on %s %s, %llu lost\n", state.logged, options.interface,
           options.direction, lost);
    printf("%-8s %10s\n", "PROTO", "PACKETS");
    for (int i = 0; i < P_N; i++)
        if (state.by_protocol[i]) printf("%-8s %10llu\n", protocol_names[i], state.by_protocol[i]);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    tc_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
