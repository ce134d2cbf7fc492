#include "watchdog.hpp"

namespace wbpf::spec {

Watchdog::Watchdog(std::chrono::milliseconds limit) : limit_(limit), thread_([this] { watch(); }) {
}

Watchdog::~Watchdog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void Watchdog::arm(wasm::Store& store) {
    store.clear_interrupt();
    {
        std::lock_guard lock(mutex_);
        store_ = &store;
        deadline_ = std::chrono::steady_clock::now() + limit_;
    }
    changed_.notify_all();
}

void Watchdog::disarm() {
    std::lock_guard lock(mutex_);
    store_ = nullptr;
}

void Watchdog::watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (store_ == nullptr) {
            changed_.wait(lock);
        } else if (changed_.wait_until(lock, deadline_) == std::cv_status::timeout &&
                   store_ != nullptr && std::chrono::steady_clock::now() >= deadline_) {
            store_->request_interrupt();
            store_ = nullptr;
        }
    }
}

} // namespace wbpf::spec
