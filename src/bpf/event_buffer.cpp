#include "bpf/event_buffer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace wbpf::bpf {
namespace {

constexpr size_t perf_pages_per_cpu = 64; // 256 KiB per CPU, as libbpf-tools use
constexpr uint64_t shutdown_tag = ~uint64_t{0};
constexpr uint64_t ring_tag = 0;

bool add_to_epoll(int epoll_fd, int fd, uint64_t tag) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0;
}

/// Layout of a PERF_RECORD_SAMPLE carrying only PERF_SAMPLE_RAW.
struct RawSample {
    perf_event_header header;
    uint32_t size;
    uint8_t data[];
};

} // namespace

std::unique_ptr<EventBuffer> EventBuffer::create(const bpf_map* map, int shutdown_fd, int& error) {
    bpf_map_type type = bpf_map__type(map);
    if (type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
        error = -EINVAL;
        return nullptr;
    }
    std::unique_ptr<EventBuffer> buffer(new EventBuffer);
    buffer->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (buffer->epoll_fd_ < 0) {
        error = -errno;
        return nullptr;
    }
    if (shutdown_fd >= 0 && !add_to_epoll(buffer->epoll_fd_, shutdown_fd, shutdown_tag)) {
        error = -errno;
        return nullptr;
    }
    int map_fd = bpf_map__fd(map);
    if (type == BPF_MAP_TYPE_RINGBUF) {
        buffer->ring_ = ring_buffer__new(map_fd, on_ring_record, buffer.get(), nullptr);
        if (!buffer->ring_) {
            error = errno ? -errno : -EINVAL;
            return nullptr;
        }
        // The map fd itself is pollable; watching it directly avoids a nested epoll.
        if (!add_to_epoll(buffer->epoll_fd_, map_fd, ring_tag)) {
            error = -errno;
            return nullptr;
        }
        return buffer;
    }
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    buffer->perf_ = perf_buffer__new_raw(map_fd, perf_pages_per_cpu, &attr, on_perf_event,
                                         buffer.get(), nullptr);
    if (!buffer->perf_) {
        error = errno ? -errno : -EINVAL;
        return nullptr;
    }
    size_t count = perf_buffer__buffer_cnt(buffer->perf_);
    for (size_t i = 0; i < count; ++i) {
        if (!add_to_epoll(buffer->epoll_fd_, perf_buffer__buffer_fd(buffer->perf_, i), i)) {
            error = -errno;
            return nullptr;
        }
    }
    return buffer;
}

EventBuffer::~EventBuffer() {
    ring_buffer__free(ring_);
    perf_buffer__free(perf_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

int EventBuffer::poll(GuestCallback& callback, int timeout_ms,
                      const wasi::ShutdownToken* shutdown) {
    auto shutdown_requested = [shutdown] { return shutdown && shutdown->requested(); };
    // After shutdown, one last poll drains what the kernel already queued (so the guest prints
    // its last events); every later poll says -EINTR so the guest leaves its loop.
    if (drained_for_shutdown_) return -EINTR;
    current_ = &callback;
    auto nothing_yet = [&callback] { return callback.delivered() == 0 && !callback.stopped(); };
    int result = 0;
    if (pending_) {
        // The last poll stopped early. Perf buffers signal readiness once per wakeup, so what
        // it left behind must be drained without waiting for the next wakeup.
        pending_ = false;
        result = consume_all();
    }
    if (result >= 0 && nothing_yet()) {
        if (timeout_ms == 0 || shutdown_requested()) {
            result = consume_all();
        } else {
            epoll_event events[16];
            int ready = epoll_wait(epoll_fd_, events, 16, timeout_ms < 0 ? -1 : timeout_ms);
            if (ready < 0)
                result = errno == EINTR ? 0 : -errno;
            else
                result = consume_ready(events, ready);
        }
    }
    // Shutdown may have been requested while this poll ran: what the kernel queued before it (on
    // any CPU, possibly behind records this poll already took) is drained now, because the next
    // poll says -EINTR.
    // The flag is read once so that a request arriving after this point waits for the next poll.
    const bool shutting_down = shutdown_requested();
    if (result >= 0 && !callback.stopped() && shutting_down) result = consume_all();
    pending_ = callback.stopped();
    current_ = nullptr;
    if (shutting_down) drained_for_shutdown_ = true;
    if (callback.stopped()) return callback.stop_value() != 0 ? callback.stop_value() : 0;
    if (result < 0) return result;
    if (callback.delivered() == 0 && drained_for_shutdown_) return -EINTR;
    return callback.delivered();
}

int EventBuffer::consume_ready(const epoll_event* events, int count) {
    if (ring_) return consume_all();
    for (int i = 0; i < count && !current_->stopped(); ++i) {
        if (events[i].data.u64 == shutdown_tag) continue; // the caller checks the token
        int error = consume_perf_buffer(events[i].data.u64);
        if (error < 0) return error;
    }
    return 0;
}

int EventBuffer::consume_all() {
    if (ring_) {
        int result = ring_buffer__consume(ring_);
        return current_->stopped() || result >= 0 ? 0 : result;
    }
    size_t count = perf_buffer__buffer_cnt(perf_);
    for (size_t i = 0; i < count && !current_->stopped(); ++i) {
        int error = consume_perf_buffer(i);
        if (error < 0) return error;
    }
    return 0;
}

int EventBuffer::consume_perf_buffer(size_t index) {
    int result = perf_buffer__consume_buffer(perf_, index);
    return current_->stopped() || result >= 0 ? 0 : result;
}

int EventBuffer::on_ring_record(void* self, void* data, size_t size) {
    auto* buffer = static_cast<EventBuffer*>(self);
    return buffer->current_->deliver(data, size) ? 0 : -1;
}

bpf_perf_event_ret EventBuffer::on_perf_event(void* self, int /*cpu*/, perf_event_header* header) {
    auto* buffer = static_cast<EventBuffer*>(self);
    if (header->type != PERF_RECORD_SAMPLE) return LIBBPF_PERF_EVENT_CONT; // e.g. lost records
    const auto* sample = reinterpret_cast<const RawSample*>(header);
    size_t available = header->size > sizeof(RawSample) ? header->size - sizeof(RawSample) : 0;
    size_t size = sample->size < available ? sample->size : available;
    return buffer->current_->deliver(sample->data, size) ? LIBBPF_PERF_EVENT_CONT
                                                         : LIBBPF_PERF_EVENT_ERROR;
}

} // namespace wbpf::bpf
