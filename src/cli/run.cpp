// `wbpf run FILE.wasm [ARGS...]`: loads a WASI command module, links it against the registered
// host modules (host_modules.cpp) and runs its _start. Exit statuses: exit_codes.hpp.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/host_module.hpp"
#include "cli/signal_supervisor.hpp"

#include "wasi/shutdown.hpp"
#include "wasm/wasm.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace wbpf::cli {
namespace {

/// Prints "wbpf: <subject>: <message>" as one line.
void report(const std::string& subject, const std::string& message) {
    std::fprintf(stderr, "wbpf: %s: %s\n", subject.c_str(), message.c_str());
}

/// Reads the whole file; on failure returns nullopt with errno set.
std::optional<std::vector<uint8_t>> read_file(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::vector<uint8_t> bytes;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return std::nullopt;
        }
        if (n == 0) break;
        bytes.insert(bytes.end(), buf, buf + n);
    }
    close(fd);
    return bytes;
}

bool valid_env(const std::string& kv) {
    size_t eq = kv.find('=');
    return eq != std::string::npos && eq > 0;
}

bool valid_dir(const std::string& dir) {
    size_t sep = dir.find("::");
    if (sep == std::string::npos) return !dir.empty();
    return sep > 0 && sep + 2 < dir.size();
}

std::string frame_name(const wasm::TrapFrame& frame) {
    if (!frame.instance) return "<host function>";
    return frame.instance->module->function_display_name(frame.function_index);
}

/// One headline line plus a short backtrace, innermost frame first.
void report_trap(const wasm::Store& store, const wasm::ExecResult& result,
                 const std::string& file) {
    std::string reason = result.trap == wasm::TrapKind::host_error
                             ? store.host_error_message()
                             : std::string(wasm::trap_message(result.trap));
    std::string where = "<unknown>";
    for (const wasm::TrapFrame& f : result.backtrace) {
        if (f.instance) {
            where = frame_name(f);
            break;
        }
    }
    std::string text = "wbpf: trap: " + reason + " in " + where + " (" + file + ")\n";
    constexpr size_t max_frames = 8;
    for (size_t i = 0; i < result.backtrace.size() && i < max_frames; ++i)
        text += "  at " + frame_name(result.backtrace[i]) + "\n";
    const size_t frames = result.backtrace.size() + result.omitted_frames;
    if (frames > max_frames) text += "  ... " + std::to_string(frames - max_frames) + " more\n";
    std::fputs(text.c_str(), stderr);
}

int run(RunSetup setup) {
    const std::string& file = setup.module_path;
    for (const std::string& kv : setup.env)
        if (!valid_env(kv)) {
            report("--env " + kv, "expected KEY=VALUE");
            return exit_code::usage;
        }
    for (const std::string& dir : setup.dirs)
        if (!valid_dir(dir)) {
            report("--dir " + dir, "expected HOST[::GUEST]");
            return exit_code::usage;
        }
    for (const std::string& dir : setup.read_only_dirs)
        if (!valid_dir(dir)) {
            report("--ro-dir " + dir, "expected HOST[::GUEST]");
            return exit_code::usage;
        }

    auto bytes = read_file(file);
    if (!bytes) {
        report(file, std::strerror(errno));
        return exit_code::no_input;
    }
    static constexpr uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    if (bytes->size() < 4 || std::memcmp(bytes->data(), magic, 4) != 0) {
        report(file, "not a WebAssembly module");
        return exit_code::invalid_module;
    }
    std::shared_ptr<const wasm::Module> module;
    try {
        module = wasm::parse_module(*bytes);
    } catch (const wasm::Error& e) {
        report(file, e.what());
        return exit_code::invalid_module;
    }
    bytes.reset();

    // A guest writing to a closed pipe gets EPIPE from fd_write instead of killing wbpf.
    signal(SIGPIPE, SIG_IGN);
    wasi::ShutdownToken shutdown;
    setup.shutdown = &shutdown;
    SignalSupervisor supervisor(shutdown, setup.grace);

    wasm::Store store;
    wasm::Imports imports;
    std::vector<std::unique_ptr<HostModule>> host_modules;
    try {
        for (HostModuleFactory make : host_module_factories()) {
            host_modules.push_back(make(setup));
            host_modules.back()->add_to(store, imports);
        }
    } catch (const HostModuleError& e) {
        std::fprintf(stderr, "wbpf: %s\n", e.what());
        return exit_code::no_input;
    }

    for (const wasm::Import& import : module->imports) {
        if (!imports.find(import.module, import.name)) {
            report(file, "unknown import \"" + import.module + "\" \"" + import.name + "\"");
            return exit_code::link_error;
        }
    }
    wasm::Instance* instance = nullptr;
    try {
        instance = &store.instantiate(module, imports);
    } catch (const wasm::LinkError& e) {
        report(file, e.what());
        return exit_code::link_error;
    } catch (const wasm::InstantiationTrap& e) {
        report(file, e.what());
        return exit_code::trap;
    }
    wasm::FunctionInstance* start = instance->find_function("_start");
    if (!start || !start->type->params.empty() || !start->type->results.empty()) {
        report(file, "no _start function of type [] -> [] (not a WASI command)");
        return exit_code::link_error;
    }

    supervisor.attach(store);
    std::vector<wasm::Value> results;
    wasm::ExecResult result = store.call(*start, {}, results);
    switch (result.trap) {
    case wasm::TrapKind::none: return 0;
    case wasm::TrapKind::host_exit: return store.exit_code();
    case wasm::TrapKind::interrupted:
        if (supervisor.forced_stop()) {
            std::fputs(supervisor.stop_message().c_str(), stderr);
            return exit_code::signal_base + supervisor.signal();
        }
        [[fallthrough]];
    default: report_trap(store, result, file); return exit_code::trap;
    }
}

} // namespace

CommandAction add_run_command(CLI::App& app, const GlobalOptions&) {
    auto setup = std::make_shared<RunSetup>();
    auto grace_ms = std::make_shared<long>(1000);
    CLI::App* cmd = app.add_subcommand(
        "run", "Run a WASI command module: wbpf run [OPTIONS] FILE.wasm [ARGS...]\n"
               "Everything after FILE is passed to the guest (argv[0] is FILE).");
    cmd->add_option("--dir", setup->dirs,
                    "Grant the guest a host directory, seen as GUEST (default: HOST)")
        ->type_name("HOST[::GUEST]")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--ro-dir", setup->read_only_dirs,
                    "Grant a host directory read-only: nothing in it can be created, written, "
                    "renamed or removed (preopened after every --dir)")
        ->type_name("HOST[::GUEST]")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--env", setup->env, "Set an environment variable of the guest")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("-v,--verbose", setup->verbose,
                  "Print libbpf's messages and full verifier logs to stderr");
    cmd->add_option("--grace-period", *grace_ms,
                    "Milliseconds a guest may take to exit after SIGINT/SIGTERM")
        ->type_name("MS")
        ->check(CLI::Range(0L, 3600L * 1000));
    // FILE and the guest's arguments are whatever follows the run options, untouched.
    cmd->prefix_command();
    return [cmd, setup, grace_ms]() -> int {
        std::vector<std::string> rest = cmd->remaining();
        if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
        if (rest.empty()) {
            std::fprintf(stderr, "wbpf: run: missing FILE.wasm (see wbpf run --help)\n");
            return exit_code::usage;
        }
        setup->module_path = rest.front();
        setup->guest_args = rest;
        setup->grace = std::chrono::milliseconds(*grace_ms);
        return run(std::move(*setup));
    };
}

} // namespace wbpf::cli
