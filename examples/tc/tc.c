// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tc, user half (wasm32-wasi guest): attaches tc.bpf.o as a classifier on one direction of an
 * interface, prints one line per packet from the ring buffer, and a per-protocol summary on
 * SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "tc.h"
#include "tc.skel.h"

#define WBPF_TOOL_NAME "tc"
#include <wbpf/tool.h>

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
    if (!wbpf_valid_ifname(text, length)) return -1;
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
                wbpf_tool_warn("invalid target '%s' (IFACE[:ingress|egress])", optarg);
                return -1;
            }
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
    if (wbpf_tool_no_more_args(argc, argv)) return -1;
    if (!options->target) {
        wbpf_tool_warn("an interface is required (-i IFACE[:ingress|egress])");
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

    if (state->options->timestamp) wbpf_print_time(" ");
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
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct tc_bpf* skel = tc_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    skel->rodata->filter_port = (uint16_t)options.port; /* written into .rodata at load */

    struct state state = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(tc_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    err = wbpf_attach_to(skel->progs.tc_log, options.target);
    if (err) {
        wbpf_tool_warn("failed to attach to %s of '%s': %s", options.direction, options.interface,
                       err == -ENODEV ? "no such interface" : strerror(-err));
        goto cleanup;
    }
    if (options.verbose) wbpf_tool_warn("attached to %s", options.target);

    buffer =
        wbpf_tool_open_buffer(skel->maps.packets, 0, handle_packet, &state, "ring buffer", &err);
    if (!buffer) goto cleanup;
    if (options.timestamp) printf("%-8s ", "TIME");
    printf("%-7s %-15s %-7s %-21s %-21s %s\n", "DIR", "IFACE", "PROTO", "SOURCE", "DESTINATION",
           "LEN");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0); /* after Ctrl-C, the last records too */
    if (err) goto cleanup;

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
