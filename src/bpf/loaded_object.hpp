// One BPF object a guest loaded, with everything hanging off it: attachments (links, tc
// filters, packet sockets) and event buffers keyed by map fd. Destroying it releases all of
// that in a safe order (buffers, then attachments, then the object and its fds).
#pragma once

#include "bpf/attachment.hpp"
#include "bpf/event_buffer.hpp"

#include <map>
#include <memory>
#include <string_view>
#include <vector>

struct bpf_object;
struct bpf_map;

namespace wbpf::bpf {

class LoadedObject {
public:
    /// Takes ownership of a loaded `object`.
    explicit LoadedObject(bpf_object* object) : object_(object) {}
    ~LoadedObject();
    LoadedObject(const LoadedObject&) = delete;
    LoadedObject& operator=(const LoadedObject&) = delete;

    bpf_object* object() const noexcept { return object_; }

    /// The map called `name`. Internal maps (.rodata, .bss, .data, .kconfig, ...) are also
    /// found by any "<prefix>.<section>" name, such as a skeleton's `bootstra.rodata`,
    /// whatever object name libbpf used to prefix them.
    bpf_map* find_map(std::string_view name) const noexcept;
    /// The object's map whose fd is `fd`, or nullptr.
    bpf_map* map_with_fd(int fd) const noexcept;

    void keep(std::unique_ptr<Attachment> attachment) {
        attachments_.push_back(std::move(attachment));
    }
    /// The event buffer of map fd `fd`, or nullptr if it was not created yet.
    EventBuffer* buffer(int fd) const noexcept;
    EventBuffer& add_buffer(int fd, std::unique_ptr<EventBuffer> buffer);

    /// Number of polls in progress on this object (a guest callback may call back into the
    /// host; the object must not be closed under a running poll).
    int active_polls = 0;

private:
    bpf_object* object_;
    std::vector<std::unique_ptr<Attachment>> attachments_;
    std::map<int, std::unique_ptr<EventBuffer>> buffers_;
};

} // namespace wbpf::bpf
