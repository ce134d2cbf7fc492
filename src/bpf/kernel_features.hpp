// What the running kernel can do, probed rather than assumed: program types that may be
// missing (fentry/fexit, LSM, ...), kprobes and the other attach mechanisms. Probes load tiny
// programs (never attached, except an fentry probe on the kernel's own bpf_fentry_test1 test
// stub) and results are cached for the process. Used by the object loader (one-line "not
// available" messages) and by `wbpf doctor`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <linux/bpf.h>

#include <cstdint>

struct bpf_program;

namespace wbpf::bpf {

/// The answer to "does this kernel offer X?": `detail` says how it was decided or, when
/// missing, why (one line, no trailing newline).
struct FeatureCheck {
    bool available = false;
    std::string detail;
};

/// If the kernel cannot load `prog` because its program type is unavailable, the feature it
/// needs in words ("fentry programs", "BPF LSM programs", ...); otherwise empty.
std::string missing_program_feature(const bpf_program* prog);

/// Whether programs of `type` load at all. Tracing programs count if any of their attach
/// kinds works (tp_btf, fentry/fexit); LSM ones need check_lsm().
bool program_type_supported(bpf_prog_type type);

/// True if the kernel can create kprobes (kprobe PMU or tracefs kprobe_events).
bool kprobes_available();

/// Capability numbers (linux/capability.h) that loading BPF programs needs.
constexpr int cap_sys_admin = 21;
constexpr int cap_perfmon = 38;
constexpr int cap_bpf = 39;
/// CapEff of this process from /proc/self/status (0 if unreadable).
uint64_t effective_capabilities();
/// True with CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON: without them every program load fails
/// with EPERM, which must not be mistaken for a feature the kernel lacks.
bool has_bpf_privileges();

/// kprobes: the perf_event kprobe PMU or tracefs kprobe_events.
FeatureCheck check_kprobes();
/// uprobes: the perf_event uprobe PMU or tracefs uprobe_events.
FeatureCheck check_uprobes();
/// BPF trampolines (fentry, fexit, fmod_ret): a tracing program loaded with the BTF id of a
/// kernel function (and attached to bpf_fentry_test1 when the kernel has it).
FeatureCheck check_trampolines();
/// BTF-enabled raw tracepoints (tp_btf): a tracing program loaded against btf_trace_*.
FeatureCheck check_btf_tracepoints();
/// BPF LSM: "bpf" in the active LSMs (/sys/kernel/security/lsm) and an LSM program loads.
FeatureCheck check_lsm();

/// The contents of `file` on the pseudo file system `fs_type` (tracefs, securityfs, ...)
/// normally mounted at `mount_point`. If it is not mounted there, a child process mounts it in a
/// private mount namespace to read the file, so nothing changes for anyone else. nullopt if
/// neither works (the file system cannot be mounted, or has no such file). Reads at most 64 KiB.
std::optional<std::string> read_kernel_fs_file(const char* fs_type, const char* mount_point,
                                               const char* file);

/// Section-name families that decide how a BPF_PROG_TYPE_KPROBE program attaches.
bool is_kprobe_section(std::string_view section); ///< kprobe, kretprobe, ksyscall, ...
bool is_uprobe_section(std::string_view section); ///< uprobe, uretprobe (and .s/.multi)
bool is_uretprobe_section(std::string_view section);

} // namespace wbpf::bpf
