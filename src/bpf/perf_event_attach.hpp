// Attaching perf_event programs (SEC("perf_event")): the host opens software cpu-clock
// sampling events, one per online CPU (or one for a given CPU / task), and attaches the
// program to each. The returned Attachment owns the events: destroying it detaches and closes
// them all. A guest cannot open perf events itself (no perf_event_open in WASI), so the attach
// target says what to sample:
//
//   freq=HZ[,pid=PID][,cpu=N]      sample HZ times a second (1 .. 100000)
//   period=NS[,pid=PID][,cpu=N]    sample every NS nanoseconds of CPU time (>= 10000)
//
//   pid: only that thread (default: every task); cpu: only that CPU (default: every online
//   CPU). With pid and no cpu, one event follows the thread across CPUs. Options in any order
//   after the first, each at most once; anything else is rejected.
#pragma once

#include "bpf/attachment.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

struct bpf_program;

namespace wbpf::bpf {

struct PerfEventTarget {
    bool frequency = true; ///< `value` is samples per second, else a period in nanoseconds
    uint64_t value = 0;
    int pid = -1; ///< -1: every task
    int cpu = -1; ///< -1: every online CPU (or any CPU, with a pid)
};

constexpr uint64_t max_sample_frequency = 100000;
constexpr uint64_t min_sample_period_ns = 10000;

/// Parses a perf_event attach target (syntax above); nullopt if malformed or out of range.
std::optional<PerfEventTarget> parse_perf_event_target(std::string_view text);

/// Opens the events `text` describes and attaches `prog` (a loaded perf_event program) to
/// each. -EINVAL for a malformed target, otherwise the first perf_event_open or attach error
/// (nothing stays attached then). CPUs that are offline are skipped.
AttachResult attach_perf_event(bpf_program* prog, std::string_view text);

} // namespace wbpf::bpf
