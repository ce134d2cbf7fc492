// The exit statuses of `wbpf` itself (documented in docs/CLI.md). A guest's own status (its
// proc_exit code, or 0 when _start returns) is passed through unchanged; these values sit
// outside the range small programs usually use (sysexits.h numbering and 128 + signal).
#pragma once

namespace wbpf::cli::exit_code {

constexpr int usage = 64;          ///< bad command line (EX_USAGE)
constexpr int invalid_module = 65; ///< not wasm, malformed, invalid or unsupported (EX_DATAERR)
constexpr int no_input = 66;       ///< module file or --dir directory cannot be opened (EX_NOINPUT)
constexpr int link_error = 67;     ///< unknown import, import type mismatch, no _start
constexpr int internal = 70;       ///< unexpected internal failure (EX_SOFTWARE)
constexpr int trap = 134;          ///< the guest trapped (128 + SIGABRT, like an abort)
constexpr int signal_base = 128;   ///< stopped after SIGINT/SIGTERM: 128 + signal (130, 143)

} // namespace wbpf::cli::exit_code
