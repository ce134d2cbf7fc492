// The import table of the `wasm_bpf` host module: the wasm signatures of the ABI and the host
// functions that decode guest arguments (bounds-checked) and call into BpfRuntime.
#pragma once

#include "bpf/bpf_runtime.hpp"

namespace wbpf::bpf {

/// Registers every import for `runtime` (what BpfRuntime::add_to does).
void add_host_module(wasm::Store& store, wasm::Imports& imports, BpfRuntime& runtime);

} // namespace wbpf::bpf
