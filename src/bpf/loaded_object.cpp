#include "bpf/loaded_object.hpp"

#include <bpf/libbpf.h>

#include <string>

namespace wbpf::bpf {

LoadedObject::~LoadedObject() {
    buffers_.clear();
    // Detach in reverse order of attachment, then close programs and maps.
    while (!attachments_.empty())
        attachments_.pop_back();
    bpf_object__close(object_);
}

bpf_map* LoadedObject::find_map(std::string_view name) const noexcept {
    if (name.empty()) return nullptr;
    // Exact names first, then internal maps by their section suffix.
    std::string exact(name);
    if (bpf_map* map = bpf_object__find_map_by_name(object_, exact.c_str())) return map;
    size_t dot = name.find('.');
    if (dot == std::string_view::npos) return nullptr;
    std::string_view section = name.substr(dot); // ".rodata", ".data.custom", ...
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, object_) {
        if (!bpf_map__is_internal(map)) continue;
        std::string_view candidate = bpf_map__name(map);
        size_t candidate_dot = candidate.find('.');
        if (candidate_dot != std::string_view::npos && candidate.substr(candidate_dot) == section)
            return map;
    }
    return nullptr;
}

bpf_map* LoadedObject::map_with_fd(int fd) const noexcept {
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, object_) {
        if (bpf_map__fd(map) == fd) return map;
    }
    return nullptr;
}

EventBuffer* LoadedObject::buffer(int fd) const noexcept {
    auto found = buffers_.find(fd);
    return found == buffers_.end() ? nullptr : found->second.get();
}

EventBuffer& LoadedObject::add_buffer(int fd, std::unique_ptr<EventBuffer> buffer) {
    return *(buffers_[fd] = std::move(buffer));
}

} // namespace wbpf::bpf
