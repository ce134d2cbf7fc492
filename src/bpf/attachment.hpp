// Attaching one program, automatically (by its section) or to a guest-given target, and the
// RAII handles that keep it attached. Destroying an Attachment detaches the program and frees
// every host resource the attachment needed (links, tc filters, packet sockets).
#pragma once

#include <memory>
#include <optional>
#include <string_view>

struct bpf_program;

namespace wbpf::bpf {

class Attachment {
public:
    virtual ~Attachment() = default;
};

struct AttachResult {
    int error = 0; ///< 0 or -errno
    std::unique_ptr<Attachment> attachment;
};

/// Attaches `prog`. Without a target (nullopt or empty), libbpf attaches it by its section
/// name. With a target, the program type decides its meaning (see attach_target.hpp):
/// cgroup programs need a cgroup v2 directory (-EINVAL if it is not one), xdp/tc/socket
/// filters an interface (-ENODEV if unknown), uprobes a [pid:]binary:symbol[+offset], perf_event
/// programs a sampling spec (perf_event_attach.hpp); any other
/// program type given a target, or a malformed target, is -EINVAL. kprobe programs fail with
/// -EOPNOTSUPP and a one-line message on stderr when the kernel has no kprobes. Other failures
/// are explained on stderr only when `verbose`.
AttachResult attach_program(bpf_program* prog, std::optional<std::string_view> target,
                            bool verbose);

} // namespace wbpf::bpf
