// Module-level validation (everything except function bodies, which the compiler validates
// while translating them): index bounds, limits, constant expressions, exports, start.
#pragma once

#include "module.hpp"

namespace wbpf::wasm {

/// Throws ValidationError with a one-line message if `module` is invalid. Also computes the
/// set of functions that may be referenced by ref.func (declared in elements or exports)
/// into `declared_refs` (index-parallel with the function index space), which the compiler
/// needs to validate ref.func in bodies.
void validate_module(const Module& module, std::vector<bool>& declared_refs);

} // namespace wbpf::wasm
