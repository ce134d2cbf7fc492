// Internal code of a compiled function (owned by the compiler/interpreter author).
#pragma once

#include "module.hpp"

namespace wbpf::wasm {

struct CompiledFunction {
    // Filled in by the compiler.
};

} // namespace wbpf::wasm
