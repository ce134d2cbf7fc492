// wbpf: runs the user-space half of eBPF tools compiled to WebAssembly.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#ifndef WBPF_VERSION
#define WBPF_VERSION "unknown"
#endif

namespace {

int run_command_line(int argc, char** argv) {
    using namespace wbpf::cli;
    CLI::App app{"wbpf: run eBPF tools compiled to WebAssembly", "wbpf"};
    app.set_version_flag("--version", "wbpf " WBPF_VERSION);
    app.require_subcommand(1);
    GlobalOptions global;

    std::vector<std::pair<CLI::App*, CommandAction>> commands;
    auto registered = [&](CommandAction action) {
        commands.emplace_back(app.get_subcommands({}).back(), std::move(action));
    };
    registered(add_run_command(app, global));
    registered(add_gen_command(app, global));
    registered(add_doctor_command(app, global));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "wbpf: %s (see wbpf --help)\n", e.what());
        return exit_code::usage;
    }
    try {
        for (auto& [sub, action] : commands)
            if (sub->parsed()) return action();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wbpf: internal error: %s\n", e.what());
        return exit_code::internal;
    }
    return exit_code::usage;
}

} // namespace

int main(int argc, char** argv) {
    // Setting up the parser allocates; nothing may escape main as an uncaught exception.
    try {
        return run_command_line(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wbpf: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "wbpf: internal error\n");
    }
    return wbpf::cli::exit_code::internal;
}
