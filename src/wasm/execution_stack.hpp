// The interpreter's value and call stacks (owned by the compiler/interpreter author).
#pragma once

#include "store.hpp"

namespace wbpf::wasm {

struct ExecutionStack {
    // Filled in by the interpreter.
};

} // namespace wbpf::wasm
