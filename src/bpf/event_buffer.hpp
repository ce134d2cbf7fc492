// An event buffer over one BPF map: a ring buffer (BPF_MAP_TYPE_RINGBUF) or a perf event array
// (BPF_MAP_TYPE_PERF_EVENT_ARRAY). Each buffer has its own epoll set holding the kernel's fds
// and the shutdown eventfd, so a blocking poll wakes up as soon as shutdown is requested.
#pragma once

#include "bpf/guest_callback.hpp"
#include "wasi/shutdown.hpp"

#include <bpf/libbpf.h>

#include <memory>

struct epoll_event;
struct perf_event_header;

namespace wbpf::bpf {

class EventBuffer {
public:
    /// Creates the buffer for `map` (-EINVAL in `error` for any other map type).
    /// `shutdown_fd` (or -1) must stay open for the buffer's lifetime.
    static std::unique_ptr<EventBuffer> create(const bpf_map* map, int shutdown_fd, int& error);
    ~EventBuffer();
    EventBuffer(const EventBuffer&) = delete;
    EventBuffer& operator=(const EventBuffer&) = delete;

    /// Waits up to `timeout_ms` (negative: no limit; 0: no wait) for records, then delivers
    /// every available record to `callback` until it asks to stop. Returns the number of
    /// records delivered, the callback's non-zero value, -EINTR if shutdown was requested
    /// (before or during the wait), or another -errno. `callback.trap()` tells whether the
    /// guest trapped. Not re-entrant: the caller must not poll a buffer that is being polled.
    int poll(GuestCallback& callback, int timeout_ms, const wasi::ShutdownToken* shutdown);

    /// True while poll() runs (a guest callback is on the stack).
    bool polling() const noexcept { return current_ != nullptr; }

private:
    EventBuffer() = default;
    int consume_ready(const epoll_event* events, int count);
    int consume_all();
    int consume_perf_buffer(size_t index);

    int epoll_fd_ = -1;
    ring_buffer* ring_ = nullptr;
    perf_buffer* perf_ = nullptr;
    GuestCallback* current_ = nullptr;  ///< the poll in progress, for the libbpf callbacks
    bool pending_ = false;              ///< the last poll stopped early: records may be left
    bool drained_for_shutdown_ = false; ///< the post-shutdown drain happened: polls say -EINTR

    static int on_ring_record(void* self, void* data, size_t size);
    static bpf_perf_event_ret on_perf_event(void* self, int cpu, perf_event_header* header);
};

} // namespace wbpf::bpf
