// The guest side of one buffer poll: copies each record into the guest's buffer and calls its
// callback. Everything that can be resolved once (the callback's function instance, the host
// address of the buffer, the argument cells) is resolved before the poll, so delivering a
// record is one memcpy and one call into the guest, with no allocation.
#pragma once

#include "wasm/store.hpp"

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace wbpf::bpf {

class GuestCallback {
public:
    /// `buffer` is the already bounds-checked host view of guest bytes [buffer_ptr, +size);
    /// `results` is a reused vector for the call's result (sized once by the first call).
    GuestCallback(wasm::Store& store, wasm::FunctionInstance& function, std::span<uint8_t> buffer,
                  uint32_t buffer_ptr, uint32_t context, std::vector<wasm::Value>& results)
        : store_(store), function_(function), buffer_(buffer), results_(results) {
        args_[0] = wasm::Value(context);
        args_[1] = wasm::Value(buffer_ptr);
    }

    /// Copies min(length, buffer size) bytes of `record` into the guest buffer and calls the
    /// callback with (context, buffer, bytes copied). Returns false when the poll must stop:
    /// the callback returned non-zero (stop_value()) or trapped (trap()).
    bool deliver(const void* record, size_t length) noexcept {
        uint32_t copied = static_cast<uint32_t>(length < buffer_.size() ? length : buffer_.size());
        std::memcpy(buffer_.data(), record, copied);
        args_[2] = wasm::Value(copied);
        try {
            return finish_call(store_.call(function_, args_, results_));
        } catch (...) { // nothing may unwind through libbpf's C frames
            store_.set_host_error("wbpf: internal error while calling the guest's callback");
            trap_ = wasm::TrapKind::host_error;
            stopped_ = true;
            return false;
        }
    }

    int32_t delivered() const noexcept { return delivered_; }
    bool stopped() const noexcept { return stopped_; }
    int32_t stop_value() const noexcept { return stop_value_; }
    wasm::TrapKind trap() const noexcept { return trap_; }

private:
    bool finish_call(const wasm::ExecResult& result) noexcept {
        if (!result.ok()) {
            trap_ = result.trap;
            stopped_ = true;
            return false;
        }
        ++delivered_;
        int32_t value = static_cast<int32_t>(results_[0].i32);
        if (value != 0) {
            stop_value_ = value;
            stopped_ = true;
            return false;
        }
        return true;
    }

    wasm::Store& store_;
    wasm::FunctionInstance& function_;
    std::span<uint8_t> buffer_;
    std::vector<wasm::Value>& results_;
    wasm::Value args_[3];
    int32_t delivered_ = 0;
    int32_t stop_value_ = 0;
    bool stopped_ = false;
    wasm::TrapKind trap_ = wasm::TrapKind::none;
};

} // namespace wbpf::bpf
