// The interpreter: executes internal code produced by the compiler.
#pragma once

#include "execution_stack.hpp"
#include "store.hpp"

#include <memory>

namespace wbpf::wasm {

/// Creates the value and call stacks for a Store (reserved lazily: no RSS until used).
std::unique_ptr<ExecutionStack> make_execution_stack(const StoreOptions& options);

/// Runs `function` (wasm or host). `args_results` holds the arguments on entry and the results
/// on return; it has room for max(param count, result count) values. On a trap fills
/// result.trap and result.backtrace. Re-entrant (host functions may call back in).
void execute(Store& store, FunctionInstance& function, Value* args_results, ExecResult& result);

/// True when out-of-bounds loads and stores are caught by guard-page faults (this build installs
/// a SIGSEGV/SIGBUS handler at the first execution), false when every access is compared with
/// the memory size (sanitizer and fuzzing builds, WBPF_GUARD_PAGES=OFF, other platforms).
bool guard_page_bounds_checks() noexcept;

} // namespace wbpf::wasm
