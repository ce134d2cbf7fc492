// The kernel's BPF programs and links as `bpftool -j prog|link show` lists them.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace wbpf::e2e {

/// Ids of loaded programs whose name is in `names` (all programs when `names` is empty).
std::set<uint32_t> bpf_program_ids(const std::set<std::string>& names = {});

/// Ids of links attached to any of `program_ids`.
std::set<uint32_t> bpf_link_ids_for(const std::set<uint32_t>& program_ids);

} // namespace wbpf::e2e
