// The `wasm_bpf` host module's state for one guest: the BPF objects it loaded (by small
// handles), the fds it may use, and its options. One BpfRuntime serves one guest instance for
// one run; its destructor detaches and closes everything the guest left behind, however the
// guest ended (return, proc_exit, trap, interrupt).
//
//   wbpf::bpf::BpfRuntime bpf({.verbose = verbose, .shutdown = &shutdown_token});
//   bpf.add_to(store, imports);        // module "wasm_bpf" + TinyGo's "callback-wrapper"
//   ... instantiate the guest with `imports`, run it ...
//   // `bpf` must outlive every call into the guest; destroy it after the run.
//
// Guest ABI (pointers are offsets in the caller's memory 0, results are 0 / count or -errno):
//   handles are 1, 2, 3, ... per runtime and never reused; unknown or closed ones give -EINVAL.
//   a guest may use only fds of maps of its own live objects (the host fd numbers); any other
//   fd gives -EBADF. Bad pointers, lengths and unterminated strings give -EFAULT, never a trap.
#pragma once

#include "bpf/loaded_object.hpp"
#include "wasi/shutdown.hpp"
#include "wasm/store.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wbpf::bpf {

/// The import module names.
constexpr std::string_view module_name = "wasm_bpf";
constexpr std::string_view tinygo_module_name = "callback-wrapper";

struct BpfOptions {
    /// libbpf's messages, verifier logs and attach failures go to stderr.
    bool verbose = false;
    /// Once requested, buffer polls return -EINTR at once (and blocking polls wake up).
    /// Optional; must outlive the runtime.
    const wasi::ShutdownToken* shutdown = nullptr;
};

/// A map fd the guest owns, with what map_operate needs to bounds-check its arguments.
struct OwnedMap {
    uint64_t handle = 0;     ///< the object it belongs to
    uint32_t type = 0;       ///< enum bpf_map_type
    uint32_t key_size = 0;   ///< bytes the kernel reads from the key pointer
    uint32_t value_size = 0; ///< bytes the kernel reads/writes at the value pointer (per-CPU:
                             ///< round_up(value_size, 8) * possible CPUs)
};

class BpfRuntime {
public:
    explicit BpfRuntime(BpfOptions options = {});
    ~BpfRuntime();
    BpfRuntime(const BpfRuntime&) = delete;
    BpfRuntime& operator=(const BpfRuntime&) = delete;

    /// Adds the six `wasm_bpf` imports and `callback-wrapper.wasm_bpf_buffer_poll` to `imports`
    /// as host functions of `store`, bound to this runtime.
    void add_to(wasm::Store& store, wasm::Imports& imports);

    // --- The operations behind the imports, on host values already taken from the guest ---

    /// Loads an object; returns its handle, or 0 (after a one-line message on stderr).
    uint64_t load_object(std::span<const uint8_t> elf);
    /// 0, -EINVAL (handle, target), -ENOENT (no such program), or the attach error.
    int attach(uint64_t handle, std::string_view program, std::optional<std::string_view> target);
    /// The fd of the object's map `name` (skeleton names of internal maps accepted), or
    /// -EINVAL (handle) / -ENOENT (no such map).
    int map_fd_by_name(uint64_t handle, std::string_view name);
    /// Detaches and closes everything of the object: 0, -EINVAL (handle), or -EBUSY when called
    /// from a callback of a poll running on this object.
    int close_object(uint64_t handle);
    /// Polls the ring buffer / perf buffer of map `fd` of object `handle`, delivering records
    /// to `callback` with the guest buffer `buffer` (at guest address `buffer_ptr`). Sets
    /// `trap` if the callback trapped (the import then propagates it).
    int poll_buffer(wasm::Store& store, uint64_t handle, int fd, wasm::FunctionInstance& callback,
                    uint32_t context, std::span<uint8_t> buffer, uint32_t buffer_ptr,
                    int timeout_ms, wasm::TrapKind& trap);

    const OwnedMap* owned_map(int fd) const noexcept;
    bool owns_program_fd(int fd) const noexcept { return program_fds_.contains(fd); }
    const BpfOptions& options() const noexcept { return options_; }

private:
    LoadedObject* find(uint64_t handle) const noexcept;
    void register_fds(uint64_t handle, const LoadedObject& object);
    void forget_fds(uint64_t handle);

    BpfOptions options_;
    std::map<uint64_t, std::unique_ptr<LoadedObject>> objects_;
    uint64_t next_handle_ = 1;
    std::unordered_map<int, OwnedMap> map_fds_;
    std::unordered_map<int, uint64_t> program_fds_; ///< program fd -> object handle
};

} // namespace wbpf::bpf
