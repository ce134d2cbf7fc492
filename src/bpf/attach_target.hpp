// Parsing of the attach-target strings a guest passes to wasm_attach_bpf_program. Pure
// functions: no kernel access, every malformed string is rejected (std::nullopt).
//
// Syntax, by program kind:
//   cgroup programs    a cgroup v2 directory                 /sys/fs/cgroup/unified/app
//   xdp, socket filter an interface name                     eth0
//   tc (sched_cls)     ifname[:ingress|egress]               eth0:egress (default ingress)
//   uprobe/uretprobe   [pid:]binary:symbol[+offset]          /bin/bash:readline
//                      [pid:]binary:offset                   1234:/usr/lib/libc.so.6:0x4a0
//     pid: decimal, only that process (default: every process). A leading all-digit field
//     followed by another ':' is a pid, so a relative binary named only by digits needs "./".
//     binary: everything up to the last ':'. symbol: an ELF symbol (libbpf resolves it,
//     "name@LIB" allowed); offset: decimal or 0x-hex, added to the symbol or absolute.
//   perf_event         freq=HZ|period=NS[,pid=PID][,cpu=N]   freq=49,cpu=0
//     software cpu-clock sampling events the host opens and owns (perf_event_attach.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbpf::bpf {

struct TcTarget {
    std::string interface;
    bool egress = false;
};

struct UprobeTarget {
    int pid = -1; ///< -1: every process
    std::string binary;
    std::string symbol; ///< empty: `offset` is an address in the binary
    uint64_t offset = 0;
};

/// Interface names as the kernel accepts them: 1..15 bytes, no '/', ':' or whitespace.
bool is_valid_interface_name(std::string_view name);

std::optional<TcTarget> parse_tc_target(std::string_view text);
std::optional<UprobeTarget> parse_uprobe_target(std::string_view text);

} // namespace wbpf::bpf
