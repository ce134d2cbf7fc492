// Routing of libbpf's own messages. libbpf prints through one process-wide callback; wbpf
// sends everything to stderr in verbose mode and otherwise stays silent, remembering only what
// it needs to explain a failure in one line (which program the verifier rejected).
#pragma once

#include <string>

namespace wbpf::bpf {

/// Installs the libbpf print callback. Idempotent; the last call decides verbosity.
void route_libbpf_messages(bool verbose);

/// The program named by libbpf's last "BPF program load failed" warning, then forgets it.
/// Empty if there was none since the last call.
std::string take_rejected_program();

} // namespace wbpf::bpf
