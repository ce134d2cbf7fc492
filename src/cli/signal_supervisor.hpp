// Turns SIGINT/SIGTERM into a graceful shutdown of the running guest (docs/SIGNALS.md).
//
// The constructor blocks both signals in the calling thread (and so in every thread created
// after it) and starts a supervisor thread that receives them through a signalfd: no code runs
// in signal-handler context. On the first signal it requests shutdown on the ShutdownToken
// (waking guests blocked in poll_oneoff or reads); if the guest is still running after the
// grace period, or on a second signal, it calls Store::request_interrupt(). Should the guest
// still not stop (stuck in a blocking host call), it ends the process 2 s later.
#pragma once

#include "wasi/shutdown.hpp"
#include "wasm/store.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace wbpf::cli {

class SignalSupervisor {
public:
    /// Must be constructed before any other thread exists. Throws std::system_error.
    SignalSupervisor(wasi::ShutdownToken& token, std::chrono::milliseconds grace);
    ~SignalSupervisor();
    SignalSupervisor(const SignalSupervisor&) = delete;
    SignalSupervisor& operator=(const SignalSupervisor&) = delete;

    /// The store to interrupt once the grace period has passed.
    void attach(wasm::Store& store) noexcept {
        store_.store(&store);
        if (forced_.load()) store.request_interrupt(); // the deadline passed before attach
    }
    /// True if the supervisor interrupted the guest (it did not exit on its own).
    bool forced_stop() const noexcept { return forced_.load(); }
    /// The first signal received, or 0.
    int signal() const noexcept { return token_.signal(); }
    /// The message `wbpf run` prints when the supervisor stopped the guest.
    std::string stop_message() const;

private:
    void run() noexcept;

    wasi::ShutdownToken& token_;
    std::chrono::milliseconds grace_;
    std::atomic<wasm::Store*> store_{nullptr};
    std::atomic<bool> forced_{false};
    std::atomic<bool> second_signal_{false};
    int signal_fd_ = -1;
    int stop_fd_ = -1;
    std::thread thread_;
};

} // namespace wbpf::cli
