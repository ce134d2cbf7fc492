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

    /// Marks host clean-up that the grace period must not cut short while it lives, such as
    /// detaching BPF programs (each perf-event link waits for an RCU grace period, tens of ms
    /// on a busy machine). The signal supervisor holds off its forced stop meanwhile; a second
    /// signal still stops at once. A null token is allowed (no supervisor). Thread-safe.
    class TeardownScope {
    public:
        explicit TeardownScope(const ShutdownToken* token) noexcept : token_(token) {
            if (token_) token_->teardowns_.fetch_add(1, std::memory_order_acq_rel);
        }
        ~TeardownScope() {
            if (token_) token_->teardowns_.fetch_sub(1, std::memory_order_acq_rel);
        }
        TeardownScope(const TeardownScope&) = delete;
        TeardownScope& operator=(const TeardownScope&) = delete;

    private:
        const ShutdownToken* token_;
    };
    /// True while any TeardownScope lives.
    bool tearing_down() const noexcept { return teardowns_.load(std::memory_order_acquire) != 0; }

private:
    int fd_ = -1;
    std::atomic<bool> requested_{false};
    std::atomic<int> signal_{0};
    mutable std::atomic<int> teardowns_{0}; ///< live TeardownScopes (a side channel: const-safe)
};

} // namespace wbpf::wasi
