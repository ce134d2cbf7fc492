#include "bpf/map_operations.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

namespace wbpf::bpf {
namespace {

/// Host address of guest bytes [ptr, ptr + size), or nullptr when out of bounds. A size of 0
/// (queue/stack keys) yields nullptr too, which is what the kernel expects for those maps.
void* guest_bytes(wasm::MemoryInstance& memory, uint32_t ptr, uint32_t size, bool& ok) {
    if (size == 0) return nullptr;
    auto bytes = memory.span(ptr, size);
    if (!bytes) {
        ok = false;
        return nullptr;
    }
    return bytes->data();
}

/// Checks the fds inside a value about to be written to an fd-holding map.
int check_fd_values(const BpfRuntime& runtime, const OwnedMap& map, const void* value) {
    auto fd_at = [value](size_t offset) {
        int32_t fd;
        std::memcpy(&fd, static_cast<const uint8_t*>(value) + offset, sizeof fd);
        return fd;
    };
    switch (map.type) {
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
        if (map.value_size < 4 || !runtime.owned_map(fd_at(0))) return -EBADF;
        return 0;
    case BPF_MAP_TYPE_PROG_ARRAY:
        if (map.value_size < 4 || !runtime.owns_program_fd(fd_at(0))) return -EBADF;
        return 0;
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
    case BPF_MAP_TYPE_CPUMAP:
        // { u32 ifindex or qsize; int program fd (optional, > 0 means set) }
        if (map.value_size >= 8 && fd_at(4) > 0 && !runtime.owns_program_fd(fd_at(4)))
            return -EBADF;
        return 0;
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_CGROUP_ARRAY:
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_XSKMAP:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: return -EOPNOTSUPP;
    default: return 0;
    }
}

} // namespace

int operate_on_map(const BpfRuntime& runtime, wasm::MemoryInstance& memory,
                   const MapOperation& op) {
    const OwnedMap* map = runtime.owned_map(op.fd);
    if (!map) return -EBADF;
    bool ok = true;
    switch (static_cast<MapCommand>(op.command)) {
    case MapCommand::lookup: {
        void* key = guest_bytes(memory, op.key, map->key_size, ok);
        void* value = guest_bytes(memory, op.value, map->value_size, ok);
        if (!ok) return -EFAULT;
        return bpf_map_lookup_elem_flags(op.fd, key, value, op.flags);
    }
    case MapCommand::update: {
        void* key = guest_bytes(memory, op.key, map->key_size, ok);
        void* value = guest_bytes(memory, op.value, map->value_size, ok);
        if (!ok) return -EFAULT;
        if (int error = check_fd_values(runtime, *map, value); error != 0) return error;
        return bpf_map_update_elem(op.fd, key, value, op.flags);
    }
    case MapCommand::remove: {
        void* key = guest_bytes(memory, op.key, map->key_size, ok);
        if (!ok) return -EFAULT;
        return bpf_map_delete_elem_flags(op.fd, key, op.flags);
    }
    case MapCommand::next_key: {
        void* key = op.key == 0 ? nullptr : guest_bytes(memory, op.key, map->key_size, ok);
        void* next = guest_bytes(memory, op.next_key, map->key_size, ok);
        if (!ok) return -EFAULT;
        return bpf_map_get_next_key(op.fd, key, next);
    }
    }
    return -EINVAL;
}

} // namespace wbpf::bpf
