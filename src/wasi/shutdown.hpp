// A process-wide shutdown request shared by every host module: a flag plus an eventfd that
// becomes (and stays) readable once shutdown is requested, so blocking host calls can put it in
// their poll set and wake up at once.
#pragma once

#include <atomic>

namespace wbpf::wasi {

class ShutdownToken {
public:
    /// Creates the eventfd. Throws std::system_error if the kernel refuses.
    ShutdownToken();
    ~ShutdownToken();
    ShutdownToken(const ShutdownToken&) = delete;
    ShutdownToken& operator=(const ShutdownToken&) = delete;

    /// Requests shutdown on behalf of `signal` (0 if not caused by a signal). Async-signal-safe
    /// and thread-safe (an atomic store and a write(2)); the first request's signal is kept.
    void request(int signal = 0) noexcept;
    bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }
    /// The signal number passed to the first request() (0 if none).
    int signal() const noexcept { return signal_.load(std::memory_order_relaxed); }
    /// Readable (POLLIN) once shutdown has been requested; never drained. Do not close it.
    int fd() const noexcept { return fd_; }

private:
    int fd_ = -1;
    std::atomic<bool> requested_{false};
    std::atomic<int> signal_{0};
};

} // namespace wbpf::wasi
