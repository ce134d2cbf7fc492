// The wbpf WebAssembly engine: the embedding API in one include.
//
//   auto module = wbpf::wasm::parse_module(bytes);          // decode + validate + compile
//   wbpf::wasm::Store store;
//   wbpf::wasm::Imports imports;                             // host functions, memories, ...
//   auto& instance = store.instantiate(module, imports);
//   std::vector<Value> results;
//   auto r = store.call(*instance.find_function("_start"), {}, results);
//
// Load-time problems are exceptions derived from wasm::Error (error.hpp); execution traps are
// returned as ExecResult::trap.
#pragma once

#include "error.hpp"
#include "module.hpp"
#include "runtime.hpp"
#include "store.hpp"
#include "trap.hpp"
#include "types.hpp"
#include "value.hpp"

#include <memory>
#include <span>

namespace wbpf::wasm {

/// When the JIT (jit.hpp) translates a module to native code, where the platform allows.
enum class JitMode : uint8_t {
    off,      ///< never: interpreted only
    when_hot, ///< once an instance of it has run a while (so short runs pay nothing for it)
    eager,    ///< at load, in parse_module
};

struct ParseOptions {
    DecodeLimits limits;
    /// The environment variable WBPF_JIT (0 or off, hot, eager) overrides it, except off.
    /// when_hot translates and patches the module's code while a guest runs, so a Module
    /// used from several threads at once must be parsed with eager or off.
    JitMode jit = JitMode::when_hot;
};

/// Decodes, validates and compiles a binary module. Throws MalformedError, ValidationError or
/// UnsupportedError (e.g. "SIMD is not supported yet") with a one-line message.
std::shared_ptr<const Module> parse_module(std::span<const uint8_t> bytes,
                                           const ParseOptions& options = {});

} // namespace wbpf::wasm
