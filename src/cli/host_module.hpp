// Host modules offered to a guest by `wbpf run`: WASI and wasm_bpf. Each one adds its
// functions to the import set; run.cpp instantiates the guest against the union.
#pragma once

#include "wasi/shutdown.hpp"
#include "wasm/store.hpp"

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbpf::cli {

/// Everything `wbpf run` knows about the guest to start, for host modules to draw on.
struct RunSetup {
    std::string module_path;                 ///< as given on the command line
    std::vector<std::string> guest_args;     ///< argv[0] (module_path) included
    std::vector<std::string> env;            ///< --env KEY=VALUE, in order
    std::vector<std::string> dirs;           ///< --dir HOST[::GUEST], in order
    std::vector<std::string> read_only_dirs; ///< --ro-dir HOST[::GUEST], after the --dir ones
    std::chrono::milliseconds grace{1000};
    bool verbose = false;                    ///< -v: libbpf messages and verifier logs
    wasi::ShutdownToken* shutdown = nullptr; ///< set before host modules are created
};

class HostModule {
public:
    virtual ~HostModule() = default;
    /// The import module name it provides ("wasi_snapshot_preview1", "wasm_bpf", ...).
    virtual std::string_view name() const = 0;
    /// Creates its host functions in `store` and offers them in `imports`. The module must
    /// outlive every call into the guest.
    virtual void add_to(wasm::Store& store, wasm::Imports& imports) = 0;
};

/// A factory: builds a host module from the run setup; throws HostModuleError on bad options.
using HostModuleFactory = std::unique_ptr<HostModule> (*)(const RunSetup& setup);

/// A host module refused its configuration (e.g. --dir not a directory). One-line what().
class HostModuleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The host modules `wbpf run` offers, in registration order (host_modules.cpp).
std::span<const HostModuleFactory> host_module_factories() noexcept;

} // namespace wbpf::cli
