// The `wbpf` subcommands. Each lives in its own file and registers itself on the top-level
// CLI11 app; the returned action runs if the subcommand was given and yields the exit status.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace wbpf::cli {

/// Options shared by every subcommand (set on the top-level app).
struct GlobalOptions {
    int verbosity = 0;
};

using CommandAction = std::function<int()>;

/// `wbpf run FILE.wasm [ARGS...]` (run.cpp).
CommandAction add_run_command(CLI::App& app, const GlobalOptions& global);

/// `wbpf gen skeleton|types X.bpf.o` (gen.cpp).
CommandAction add_gen_command(CLI::App& app, const GlobalOptions& global);

/// `wbpf doctor`: what this kernel offers eBPF tools (doctor.cpp).
CommandAction add_doctor_command(CLI::App& app, const GlobalOptions& global);

} // namespace wbpf::cli
