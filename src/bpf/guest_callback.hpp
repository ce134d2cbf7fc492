// The guest side of one buffer poll: copies each record into the guest's buffer and calls its
// callback. Everything that can be resolved once (the callback's function instance, whose type
// the caller has checked, the host address of the buffer) is resolved before the poll, so
// delivering a record is one memcpy and one interpreter entry (wasm::execute: no argument
// checks, no result vector), with no allocation.
#pragma once

#include "wasm/interpreter.hpp"
#include "wasm/store.hpp"

#include <cstdint>
#include <cstring>
#include <span>

namespace wbpf::bpf {

class GuestCallback {
public:
    /// `function` must have type (i32, i32, i32) -> i32 (the caller checks it once per poll).
    /// `buffer` is the already bounds-checked host view of guest bytes [buffer_ptr, +size).
    GuestCallback(wasm::Store& store, wasm::FunctionInstance& function, std::span<uint8_t> buffer,
                  uint32_t buffer_ptr, uint32_t context)
        : store_(store), function_(function), buffer_(buffer), context_(context),
          buffer_ptr_(buffer_ptr) {}

    /// Copies min(length, buffer size) bytes of `record` into the guest buffer and calls the
    /// callback with (context, buffer, bytes copied). Returns false when the poll must stop:
    /// the callback returned non-zero (stop_value()) or trapped (trap()).
    bool deliver(const void* record, size_t length) noexcept {
        uint32_t copied = static_cast<uint32_t>(length < buffer_.size() ? length : buffer_.size());
        std::memcpy(buffer_.data(), record, copied);
        // Arguments in, the result out (execute() reuses the cells).
        wasm::Value cells[3] = {wasm::Value(context_), wasm::Value(buffer_ptr_),
                                wasm::Value(copied)};
        try {
            wasm::execute(store_, function_, cells, result_);
            return finish_call(cells[0]);
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
    bool finish_call(const wasm::Value& returned) noexcept {
        if (!result_.ok()) {
            trap_ = result_.trap;
            stopped_ = true;
            return false;
        }
        ++delivered_;
        int32_t value = static_cast<int32_t>(returned.i32);
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
    uint32_t context_;
    uint32_t buffer_ptr_;
    wasm::ExecResult result_; ///< reused: its backtrace is only filled on a trap
    int32_t delivered_ = 0;
    int32_t stop_value_ = 0;
    bool stopped_ = false;
    wasm::TrapKind trap_ = wasm::TrapKind::none;
};

} // namespace wbpf::bpf
