// The baseline JIT: translates a function's internal code (code.hpp) into x86-64 machine code,
// instruction by instruction, with the interpreter as the fallback for what it does not
// translate. See jit.cpp for the design and docs/ENGINE.md for the reasons.
#pragma once

#include "module.hpp"
#include "runtime.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace wbpf::wasm {

/// Native code of one module, in one read+execute mapping (never writable once made).
class NativeCode {
public:
    NativeCode(const uint8_t* code, size_t size);
    ~NativeCode();
    NativeCode(const NativeCode&) = delete;
    NativeCode& operator=(const NativeCode&) = delete;
    const uint8_t* base() const noexcept { return base_; }
    size_t size() const noexcept { return size_; }

private:
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    size_t mapped_ = 0;
};

/// A native entry point, stored in word 1 of a `jit_enter` instruction. Runs guest code from
/// that instruction on with the frame at `fp`, until it reaches an instruction it does not
/// translate: returns that instruction's address (the interpreter goes on from there), or a
/// TrapKind value (< jit_trap_limit) when the guest trapped or was interrupted.
using NativeEntry = uintptr_t (*)(uint8_t* fp, uint8_t* mem_base,
                                  const std::atomic<uint32_t>* interrupt, uint64_t mem_size,
                                  GlobalInstance* const* globals);

/// Return values of a NativeEntry below this are traps, not code addresses.
constexpr uintptr_t jit_trap_limit = 256;

/// True when this build and CPU can run native code, and WBPF_JIT=0 is not set.
bool jit_available() noexcept;

/// Translates every compiled function of `module` and patches the instructions where the
/// interpreter enters native code into `jit_enter`. Returns the native code (nullptr when
/// there was nothing worth translating). Precondition: module.compiled is filled and final.
std::unique_ptr<NativeCode> jit_compile(Module& module);

} // namespace wbpf::wasm
