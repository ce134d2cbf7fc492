// Function-body validation and translation into the interpreter's internal code.
#pragma once

#include "module.hpp"

#include <vector>

namespace wbpf::wasm {

/// Validates every function body of `module` (Wasm 2.0 instruction rules, single pass, no
/// recursion on input) and fills module.compiled. `declared_refs` comes from
/// validate_module(). Throws ValidationError / MalformedError / UnsupportedError (SIMD).
void compile_functions(Module& module, const std::vector<bool>& declared_refs);

} // namespace wbpf::wasm
