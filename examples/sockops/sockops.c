// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockops, user half (wasm32-wasi guest): attaches sockops.bpf.o to the cgroup v2 directory
 * given with -c and prints one line per TCP connection established or closed in it, and a
 * summary on SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sockops.h"
#include "sockops.skel.h"

#define WBPF_TOOL_NAME "sockops"
#include <wbpf/tool.h>

struct options {
    const char* cgroup;
    int timestamp;
    int verbose;
};

static void usage(FILE* out) {
    fprintf(out, "Usage: sockops -c CGROUP_DIR [-T] [-v] [-h]\n"
                 "Report the TCP connections of a cgroup v2 (and its descendants) when they are\n"
                 "established and when they close, with a cgroup sock_ops program.\n"
                 "\n"
                 "  -c CGROUP_DIR  the cgroup v2 directory, e.g. /sys/fs/cgroup/unified/app\n"
                 "  -T             print a TIME column\n"
                 "  -v             report progress on stderr\n"
                 "  -h             show this help\n"
                 "\n"
                 "EVENT is ACTIVE (a connect() established), PASSIVE (an accepted connection\n"
                 "established) or CLOSE, with bytes received and acked, the smoothed RTT and the\n"
                 "lifetime. Ctrl-C prints a summary.\n");
}

/* Returns 0 and fills *options, 1 for -h, -1 on a bad argument. */
static int parse_args(int argc, char** argv, struct options* options) {
    int c;
    while ((c = getopt(argc, argv, "c:Tvh")) != -1) {
        switch (c) {
        case 'c':
            if (optarg[0] == '\0') {
                wbpf_tool_warn("the cgroup directory must not be empty");
                return -1;
            }
            options->cgroup = optarg;
            break;
        case 'T': options->timestamp = 1; break;
        case 'v': options->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (wbpf_tool_no_more_args(argc, argv)) return -1;
    if (!options->cgroup) {
        wbpf_tool_warn("a cgroup v2 directory is required (-c CGROUP_DIR)");
        return -1;
    }
    return 0;
}

struct stats {
    const struct options* options;
    unsigned long long active, passive, closed;
};

static void format_endpoint(int family, const uint8_t* addr, uint16_t port, char* out,
                            size_t size) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    snprintf(out, size, family == 4 ? "%s:%u" : "[%s]:%u", text, port);
}

static int handle_event(void* ctx, void* data, size_t size) {
    struct stats* stats = ctx;
    const struct conn_event* e = data;
    if (size < sizeof(*e)) return 0; /* not ours: ignore rather than read past the record */

    const char* kind = "?";
    switch (e->kind) {
    case SOCKOPS_ACTIVE: kind = "ACTIVE", stats->active++; break;
    case SOCKOPS_PASSIVE: kind = "PASSIVE", stats->passive++; break;
    case SOCKOPS_CLOSE: kind = "CLOSE", stats->closed++; break;
    default: return 0;
    }
    if (stats->options->timestamp) wbpf_print_time(" ");
    char local[64], remote[64];
    format_endpoint(e->family, e->local_addr, e->local_port, local, sizeof(local));
    format_endpoint(e->family, e->remote_addr, e->remote_port, remote, sizeof(remote));
    printf("%-7s %-21s %-21s", kind, local, remote);
    if (e->kind == SOCKOPS_CLOSE)
        printf(" %10llu %10llu %8u %10.3f", (unsigned long long)e->bytes_received,
               (unsigned long long)e->bytes_acked, e->srtt_us, (double)e->duration_ns / 1e6);
    else
        printf(" %10s %10s %8u %10s", "-", "-", e->srtt_us, "-");
    putchar('\n');
    return 0;
}

int main(int argc, char** argv) {
    struct options options = {0};
    int parsed = parse_args(argc, argv, &options);
    if (parsed) return wbpf_tool_usage(parsed, usage);

    struct sockops_bpf* skel = sockops_bpf__open();
    if (!skel) return wbpf_tool_fail(-errno, "failed to open the BPF skeleton");
    struct stats stats = {.options = &options};
    struct bpf_buffer* buffer = NULL;
    int err = wbpf_tool_check(sockops_bpf__load(skel), "failed to load the BPF object");
    if (err) goto cleanup;
    err = wbpf_attach_to(skel->progs.sockops_track, options.cgroup);
    if (err) {
        const char* reason = err == -EINVAL   ? "not a cgroup v2 directory"
                             : err == -ENOENT ? "no such directory"
                                              : strerror(-err);
        wbpf_tool_warn("failed to attach to cgroup '%s': %s", options.cgroup, reason);
        goto cleanup;
    }
    if (options.verbose) wbpf_tool_warn("attached to %s", options.cgroup);

    buffer = wbpf_tool_open_buffer(skel->maps.events, 0, handle_event, &stats, "ring buffer", &err);
    if (!buffer) goto cleanup;
    if (options.timestamp) printf("%-8s ", "TIME");
    printf("%-7s %-21s %-21s %10s %10s %8s %10s\n", "EVENT", "LOCAL", "REMOTE", "RX-BYTES",
           "TX-ACKED", "RTT-US", "LIFE-MS");
    fflush(stdout);
    err = wbpf_tool_poll(buffer, "ring buffer", 0); /* after Ctrl-C, the last records too */
    if (err) goto cleanup;

    unsigned long long lost = 0;
    if (wbpf_map__pull_datasec(skel->maps.bss) == 0) lost = skel->bss->lost_events;
    printf("\n%llu connections established (%llu active, %llu passive), %llu closed, "
           "%llu events lost\n",
           stats.active + stats.passive, stats.active, stats.passive, stats.closed, lost);
    fflush(stdout);

cleanup:
    bpf_buffer__free(buffer);
    sockops_bpf__destroy(skel);
    return err < 0 ? 1 : 0;
}
