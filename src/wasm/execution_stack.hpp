// The interpreter's value and call stacks, one per Store.
//
// Both are reserved up front with mmap(MAP_NORESERVE) and touched lazily, so a Store costs
// address space but almost no RSS until guest code actually runs deep. Re-entrant activations
// (guest -> host -> guest) share them: `top_used` and `frame_top` mark what outer activations
// still use, and are published by the interpreter before every host call.
#pragma once

#include "store.hpp"

#include <cstddef>
#include <cstdint>

namespace wbpf::wasm {

/// One suspended caller: where to continue, its frame, and the function running there.
struct CallFrame {
    const uint64_t* return_pc = nullptr;
    uint8_t* fp = nullptr;
    FunctionInstance* function = nullptr;
};

struct ExecutionStack {
    /// Reserves the stacks; throws std::bad_alloc if the address space is not available.
    explicit ExecutionStack(const StoreOptions& options);
    ~ExecutionStack();
    ExecutionStack(const ExecutionStack&) = delete;
    ExecutionStack& operator=(const ExecutionStack&) = delete;

    Value* slots_begin = nullptr;
    Value* slots_end = nullptr;
    /// First slot not used by any live activation: a new activation starts here.
    Value* top_used = nullptr;

    CallFrame* frames_begin = nullptr;
    CallFrame* frames_end = nullptr;
    /// First free call frame (frames below belong to live activations).
    CallFrame* frame_top = nullptr;

    /// Current number of nested execute() activations, capped by max_host_nesting.
    uint32_t nesting = 0;
    uint32_t max_nesting = 0;

private:
    size_t slots_bytes_ = 0;
    size_t frames_bytes_ = 0;
};

} // namespace wbpf::wasm
