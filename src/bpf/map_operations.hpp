// wasm_bpf_map_operate: lookup, update, delete and get_next_key on a map fd the guest owns,
// with every guest pointer checked against the sizes the kernel will read or write.
#pragma once

#include "bpf/bpf_runtime.hpp"
#include "wasm/runtime.hpp"

#include <cstdint>

namespace wbpf::bpf {

/// The ABI's command numbers (the kernel's BPF_MAP_* command values).
enum class MapCommand : uint32_t { lookup = 1, update = 2, remove = 3, next_key = 4 };

struct MapOperation {
    int fd = -1;
    uint32_t command = 0;
    uint32_t key = 0;      ///< guest pointer; for next_key, 0 asks for the first key
    uint32_t value = 0;    ///< guest pointer (lookup, update)
    uint32_t next_key = 0; ///< guest pointer (next_key)
    uint64_t flags = 0;
};

/// Runs `op`: 0 or -errno. -EBADF for an fd the guest does not own, -EFAULT for a pointer
/// whose key_size/value_size bytes are not all in `memory`, -EINVAL for an unknown command.
/// Updates of maps whose values are fds accept only the guest's own map or program fds
/// (map-in-map, program arrays, devmap/cpumap programs); those holding sockets, perf events
/// or cgroups cannot be updated (-EOPNOTSUPP), since their fds would be host fds.
int operate_on_map(const BpfRuntime& runtime, wasm::MemoryInstance& memory, const MapOperation& op);

} // namespace wbpf::bpf
