// The registration list of host modules for `wbpf run`. To offer a new import module, write a
// HostModule and add its factory to `factories` below.
#include "cli/host_module.hpp"

#include "bpf/bpf_runtime.hpp"
#include "wasi/wasi.hpp"

namespace wbpf::cli {
namespace {

class WasiModule final : public HostModule {
public:
    explicit WasiModule(wasi::WasiConfig config) : context_(std::move(config)) {}
    std::string_view name() const override { return wasi::module_name; }
    void add_to(wasm::Store& store, wasm::Imports& imports) override {
        context_.add_to(store, imports);
    }

private:
    wasi::WasiContext context_;
};

std::unique_ptr<HostModule> make_wasi(const RunSetup& setup) {
    wasi::WasiConfig config;
    config.args = setup.guest_args;
    config.env = setup.env;
    auto add_preopen = [&config](const std::string& dir, bool read_only) {
        size_t sep = dir.find("::");
        if (sep == std::string::npos)
            config.preopens.push_back({dir, dir, read_only});
        else
            config.preopens.push_back({dir.substr(0, sep), dir.substr(sep + 2), read_only});
    };
    for (const std::string& dir : setup.dirs)
        add_preopen(dir, false);
    for (const std::string& dir : setup.read_only_dirs)
        add_preopen(dir, true);
    config.shutdown = setup.shutdown;
    try {
        return std::make_unique<WasiModule>(std::move(config));
    } catch (const wasi::WasiSetupError& e) {
        throw HostModuleError(e.what());
    }
}

class BpfModule final : public HostModule {
public:
    explicit BpfModule(bpf::BpfOptions options) : runtime_(options) {}
    std::string_view name() const override { return bpf::module_name; }
    void add_to(wasm::Store& store, wasm::Imports& imports) override {
        runtime_.add_to(store, imports);
    }

private:
    bpf::BpfRuntime runtime_;
};

std::unique_ptr<HostModule> make_bpf(const RunSetup& setup) {
    return std::make_unique<BpfModule>(
        bpf::BpfOptions{.verbose = setup.verbose, .shutdown = setup.shutdown});
}

constexpr HostModuleFactory factories[] = {
    make_wasi,
    make_bpf,
};

} // namespace

std::span<const HostModuleFactory> host_module_factories() noexcept {
    return factories;
}

} // namespace wbpf::cli
