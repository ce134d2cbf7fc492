// The baseline JIT: translates a function's internal code (code.hpp) into x86-64 machine code,
// instruction by instruction, with the interpreter as the fallback for what it does not
// translate. See jit.cpp for the design and docs/ENGINE.md for the reasons.
#pragma once

#include "execution_stack.hpp"
#include "module.hpp"
#include "runtime.hpp"
#include "wasm.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace wbpf::wasm {

/// The interpreter state native code reads and updates, owned by one interpreter activation
/// (interpreter.cpp, run()). "in/out" fields are current on entry and on return; native calls
/// and returns move fp, cur and frame_top exactly as the interpreter's call and ret do.
struct NativeState {
    uint8_t* fp = nullptr;                    ///< in/out
    FunctionInstance* cur = nullptr;          ///< in/out: the running function
    CallFrame* frame_top = nullptr;           ///< in/out
    CallFrame* frame_base = nullptr;          ///< this activation's outermost frame
    CallFrame* frames_end = nullptr;          ///< call-depth limit
    uint8_t* stack_end = nullptr;             ///< value-stack limit
    const Instance* instance = nullptr;       ///< native calls and returns never leave it
    FunctionInstance* const* funcs = nullptr; ///< instance->functions
    GlobalInstance* const* globals = nullptr; ///< instance->globals
    TableInstance* const* tables = nullptr;   ///< instance->tables
    const uint32_t* type_ids = nullptr;       ///< instance->type_ids
    uint8_t* mem_base = nullptr;              ///< memory 0 (nullptr: none)
    const uint64_t* mem_size = nullptr;       ///< memory 0's current size in bytes
    const std::atomic<uint32_t>* interrupt = nullptr;
    /// Set by the trampoline: the machine stack pointer on entry (the exits go back to it), and
    /// the lowest one native calls may reach (nested native calls push return addresses).
    const void* entry_sp = nullptr;
    const void* sp_floor = nullptr;
};

/// Enters native code at `target` (word 1 of a `jit_enter` instruction) with `state`. Runs
/// until native code reaches an instruction it leaves to the interpreter: returns that
/// instruction's address (the interpreter goes on from there, with state's fp, cur and
/// frame_top), or a TrapKind value (< jit_trap_limit) when the guest trapped or was
/// interrupted.
using NativeTrampoline = uintptr_t (*)(NativeState* state, uint64_t target);

/// Native code of one module, in one read+execute mapping (never writable once made).
class NativeCode {
public:
    NativeCode(const uint8_t* code, size_t size);
    ~NativeCode();
    NativeCode(const NativeCode&) = delete;
    NativeCode& operator=(const NativeCode&) = delete;
    const uint8_t* base() const noexcept { return base_; }
    /// The module's entry into native code (at offset 0; see NativeTrampoline).
    NativeTrampoline trampoline() const noexcept {
        return reinterpret_cast<NativeTrampoline>(const_cast<uint8_t*>(base_));
    }
    size_t size() const noexcept { return size_; }

private:
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    size_t mapped_ = 0;
};

/// Return values of a NativeTrampoline below this are traps, not code addresses.
constexpr uintptr_t jit_trap_limit = 256;

/// True when this build and CPU can run native code, and WBPF_JIT=0 is not set.
bool jit_available() noexcept;

/// The mode to use for `requested`: off without a JIT or when off is requested; else
/// WBPF_JIT's if set (so the environment can turn the JIT off or make it eager, but never
/// turns on native code a caller asked not to have).
JitMode jit_mode(JitMode requested) noexcept;

/// Translates `module` now if it waits for its first hot instance (Module::native_when_hot)
/// and has no native code yet. Serialised by a lock: different Stores may share the module.
void jit_translate_when_hot(Module& module);

/// Translates every compiled function of `module` and patches the instructions where the
/// interpreter enters native code into `jit_enter`. Returns the native code (nullptr when
/// there was nothing worth translating). Precondition: module.compiled is filled and final.
std::unique_ptr<NativeCode> jit_compile(Module& module);

} // namespace wbpf::wasm
