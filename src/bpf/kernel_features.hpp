// What the running kernel can do, probed rather than assumed: program types that may be
// missing (fentry/fexit, LSM, ...) and kprobes. Results are cached for the process.
#pragma once

#include <string>
#include <string_view>

struct bpf_program;

namespace wbpf::bpf {

/// If the kernel cannot load `prog` because its program type is unavailable, the feature it
/// needs in words ("fentry programs", "BPF LSM programs", ...); otherwise empty.
std::string missing_program_feature(const bpf_program* prog);

/// True if the kernel can create kprobes (kprobe PMU or tracefs kprobe_events).
bool kprobes_available();

/// Section-name families that decide how a BPF_PROG_TYPE_KPROBE program attaches.
bool is_kprobe_section(std::string_view section); ///< kprobe, kretprobe, ksyscall, ...
bool is_uprobe_section(std::string_view section); ///< uprobe, uretprobe (and .s/.multi)
bool is_uretprobe_section(std::string_view section);

} // namespace wbpf::bpf
