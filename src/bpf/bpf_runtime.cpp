#include "bpf/bpf_runtime.hpp"

#include "bpf/host_module.hpp"
#include "bpf/libbpf_log.hpp"
#include "bpf/object_loader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <string>

namespace wbpf::bpf {
namespace {

bool is_per_cpu(uint32_t type) {
    return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

} // namespace

BpfRuntime::BpfRuntime(BpfOptions options) : options_(options) {
    route_libbpf_messages(options_.verbose);
}

BpfRuntime::~BpfRuntime() {
    const wasi::ShutdownToken::TeardownScope teardown(options_.shutdown);
    // Newest first: later objects may use earlier ones' maps.
    while (!objects_.empty()) {
        auto last = std::prev(objects_.end());
        forget_fds(last->first);
        objects_.erase(last);
    }
}

void BpfRuntime::add_to(wasm::Store& store, wasm::Imports& imports) {
    add_host_module(store, imports, *this);
}

LoadedObject* BpfRuntime::find(uint64_t handle) const noexcept {
    auto found = objects_.find(handle);
    return found == objects_.end() ? nullptr : found->second.get();
}

const OwnedMap* BpfRuntime::owned_map(int fd) const noexcept {
    auto found = map_fds_.find(fd);
    return found == map_fds_.end() ? nullptr : &found->second;
}

void BpfRuntime::register_fds(uint64_t handle, const LoadedObject& object) {
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, object.object()) {
        int fd = bpf_map__fd(map);
        if (fd < 0) continue;
        // The kernel's view is authoritative for what it will read and write.
        bpf_map_info info{};
        uint32_t length = sizeof info;
        if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) continue;
        OwnedMap owned{handle, info.type, info.key_size, info.value_size};
        if (is_per_cpu(info.type)) {
            int cpus = libbpf_num_possible_cpus();
            if (cpus <= 0) continue;
            owned.value_size = ((info.value_size + 7) / 8 * 8) * static_cast<uint32_t>(cpus);
        }
        map_fds_[fd] = owned;
    }
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, object.object()) {
        int fd = bpf_program__fd(prog);
        if (fd >= 0) program_fds_[fd] = handle;
    }
}

void BpfRuntime::forget_fds(uint64_t handle) {
    std::erase_if(map_fds_, [handle](const auto& entry) { return entry.second.handle == handle; });
    std::erase_if(program_fds_, [handle](const auto& entry) { return entry.second == handle; });
}

uint64_t BpfRuntime::load_object(std::span<const uint8_t> elf) {
    bpf_object* object = load_bpf_object(elf, options_.verbose);
    if (!object) return 0;
    uint64_t handle = next_handle_++;
    auto& loaded = objects_[handle] = std::make_unique<LoadedObject>(object);
    register_fds(handle, *loaded);
    return handle;
}

int BpfRuntime::attach(uint64_t handle, std::string_view program,
                       std::optional<std::string_view> target) {
    LoadedObject* object = find(handle);
    if (!object) return -EINVAL;
    if (program.empty()) return -ENOENT;
    bpf_program* prog =
        bpf_object__find_program_by_name(object->object(), std::string(program).c_str());
    if (!prog) return -ENOENT;
    AttachResult result = attach_program(prog, target, options_.verbose);
    if (result.error != 0) return result.error;
    object->keep(std::move(result.attachment));
    return 0;
}

int BpfRuntime::map_fd_by_name(uint64_t handle, std::string_view name) {
    LoadedObject* object = find(handle);
    if (!object) return -EINVAL;
    bpf_map* map = object->find_map(name);
    if (!map) return -ENOENT;
    int fd = bpf_map__fd(map);
    return fd >= 0 ? fd : -ENOENT;
}

int BpfRuntime::close_object(uint64_t handle) {
    auto found = objects_.find(handle);
    if (found == objects_.end()) return -EINVAL;
    if (found->second->active_polls > 0) return -EBUSY;
    const wasi::ShutdownToken::TeardownScope teardown(options_.shutdown);
    forget_fds(handle);
    objects_.erase(found);
    return 0;
}

int BpfRuntime::poll_buffer(wasm::Store& store, uint64_t handle, int fd,
                            wasm::FunctionInstance& callback, uint32_t context,
                            std::span<uint8_t> buffer, uint32_t buffer_ptr, int timeout_ms,
                            wasm::TrapKind& trap) {
    LoadedObject* object = find(handle);
    if (!object) return -EINVAL;
    const OwnedMap* owned = owned_map(fd);
    if (!owned || owned->handle != handle) return -EBADF;
    EventBuffer* events = object->buffer(fd);
    if (!events) {
        bpf_map* map = object->map_with_fd(fd);
        if (!map) return -EBADF;
        int error = 0;
        auto created =
            EventBuffer::create(map, options_.shutdown ? options_.shutdown->fd() : -1, error);
        if (!created) return error;
        events = &object->add_buffer(fd, std::move(created));
    }
    if (events->polling()) return -EBUSY; // a callback polling its own buffer again
    GuestCallback deliver(store, callback, buffer, buffer_ptr, context);
    ++object->active_polls;
    int result = events->poll(deliver, timeout_ms, options_.shutdown);
    --object->active_polls;
    trap = deliver.trap();
    return result;
}

} // namespace wbpf::bpf
