// Bounds the time one spec command may run, so a pathological module cannot hang the runner.
#pragma once

#include "wasm/wasm.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace wbpf::spec {

/// A background thread that calls Store::request_interrupt() (thread-safe by contract) on the
/// armed store once the time limit has passed; the guest then stops with
/// TrapKind::interrupted, which the runner reports as a failure.
class Watchdog {
public:
    explicit Watchdog(std::chrono::milliseconds limit);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    /// Starts timing a command running on `store` (and clears its interrupt flag).
    void arm(wasm::Store& store);
    /// Stops timing; after this the watchdog no longer touches the store.
    void disarm();

private:
    void watch();

    std::chrono::milliseconds limit_;
    std::mutex mutex_;
    std::condition_variable changed_;
    wasm::Store* store_ = nullptr;
    std::chrono::steady_clock::time_point deadline_;
    bool stopping_ = false;
    std::thread thread_;
};

/// Arms a watchdog for one scope.
class WatchdogScope {
public:
    WatchdogScope(Watchdog& watchdog, wasm::Store& store) : watchdog_(watchdog) {
        watchdog_.arm(store);
    }
    ~WatchdogScope() { watchdog_.disarm(); }
    WatchdogScope(const WatchdogScope&) = delete;
    WatchdogScope& operator=(const WatchdogScope&) = delete;

private:
    Watchdog& watchdog_;
};

} // namespace wbpf::spec
