// The `spectest` host module every spec script may import from.
#pragma once

#include "wasm/wasm.hpp"

namespace wbpf::spec {

/// Creates the spectest entities in `store` and offers them in `imports` under module name
/// "spectest": functions print, print_i32, print_i64, print_f32, print_f64, print_i32_f32,
/// print_f64_f64 (no results; they print their arguments to stdout only when `verbose`),
/// immutable globals global_i32 = 666, global_i64 = 666, global_f32 = 666.6,
/// global_f64 = 666.6, `table` (funcref, 10..20) and `memory` (1..2 pages).
void add_spectest_module(wasm::Store& store, wasm::Imports& imports, bool verbose);

} // namespace wbpf::spec
