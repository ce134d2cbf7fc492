// WASI preview1 (`wasi_snapshot_preview1`) for the wbpf engine.
//
//   wbpf::wasi::WasiConfig config;
//   config.args = {"app.wasm", "-v"};
//   config.preopens = {{"/tmp/data", "/data"}};
//   wbpf::wasi::WasiContext wasi(std::move(config));     // opens the preopens (throws on error)
//   wasi.add_to(store, imports);                          // every preview1 function
//
// Capability model: the guest sees no file system except the preopened directories, and path
// resolution never leaves a preopen (openat2 RESOLVE_BENEATH: `..`, absolute paths and
// symlinks pointing out fail with ENOTCAPABLE). The environment is exactly `config.env`.
// Guest pointers are bounds-checked (EFAULT); no host function ever traps except proc_exit.
#pragma once

#include "wasi/fd_table.hpp"
#include "wasi/shutdown.hpp"
#include "wasm/store.hpp"

#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbpf::wasi {

constexpr std::string_view module_name = "wasi_snapshot_preview1";

struct Preopen {
    std::string host_path;  ///< directory on the host
    std::string guest_path; ///< name the guest sees (fd_prestat_dir_name)
    /// Without the rights that change files or directories, on the preopen and on everything
    /// opened through it: the guest can read but never create, write, rename or remove.
    bool read_only = false;
};

struct WasiConfig {
    std::vector<std::string> args; ///< argv, argv[0] included
    std::vector<std::string> env;  ///< "KEY=VALUE" strings, exactly what the guest sees
    std::vector<Preopen> preopens; ///< become guest fds 3, 4, ... in order
    /// Wakes blocking calls (poll_oneoff, fd_read/fd_write on pipes and terminals) and makes
    /// them fail with EINTR once shutdown is requested. Optional; must outlive the context.
    const ShutdownToken* shutdown = nullptr;
    int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2; ///< host fds behind guest 0, 1, 2 (borrowed)
};

/// Failure to set up the context (e.g. a preopen that is not a directory). One-line what().
class WasiSetupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class WasiContext;
struct Env;
namespace detail {
/// What each registered host function points at: the context and the implementation to run.
struct Binding {
    WasiContext* context;
    Errno (*function)(Env& env, const wasm::Value* args);
};
} // namespace detail

class WasiContext {
public:
    explicit WasiContext(WasiConfig config);
    WasiContext(const WasiContext&) = delete;
    WasiContext& operator=(const WasiContext&) = delete;

    /// Adds a host function for every preview1 function to `imports`, with this context.
    /// The context must outlive every call into the guest.
    void add_to(wasm::Store& store, wasm::Imports& imports);

    const WasiConfig& config() const noexcept { return config_; }
    FdTable& fds() noexcept { return fds_; }
    /// True once shutdown is requested (blocking calls then return EINTR).
    bool shutdown_requested() const noexcept {
        return config_.shutdown && config_.shutdown->requested();
    }
    /// The shutdown eventfd, or -1.
    int shutdown_fd() const noexcept { return config_.shutdown ? config_.shutdown->fd() : -1; }

private:
    WasiConfig config_;
    FdTable fds_;
    std::deque<detail::Binding> bindings_; ///< stable addresses: host_context of each function
};

/// One preview1 function: its import name and wasm signature.
struct FunctionSignature {
    std::string_view name;
    std::string_view params; ///< one letter per parameter: 'i' i32, 'I' i64
    std::string_view results;
};
/// Every function of wasi_snapshot_preview1, in the order of the witx definition.
std::span<const FunctionSignature> preview1_functions() noexcept;

} // namespace wbpf::wasi
