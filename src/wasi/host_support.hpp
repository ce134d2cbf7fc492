// Internal helpers shared by the preview1 host functions: the call environment, guest-memory
// access that reports EFAULT, iovec gathering and host-errno translation.
#pragma once

#include "wasi/abi.hpp"
#include "wasi/wasi.hpp"
#include "wasm/wasm.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

namespace wbpf::wasi {

/// What each preview1 implementation receives.
struct Env {
    WasiContext& ctx;
    wasm::MemoryInstance* memory; ///< may be null: every pointer is then out of bounds
    wasm::HostCall& call;

    template <typename T>
    bool load(uint64_t ptr, T& out) const noexcept {
        return memory && memory->load(ptr, out);
    }
    template <typename T>
    bool store(uint64_t ptr, const T& value) const noexcept {
        return memory && memory->store(ptr, value);
    }
    uint8_t* bytes(uint64_t ptr, uint64_t len) const noexcept {
        if (!memory) return nullptr;
        auto s = memory->span(ptr, len);
        // A zero-length span may have a null data(); any non-null address serves.
        return s ? (s->empty() ? memory->data : s->data()) : nullptr;
    }
    /// Looks up `fd` and checks that it has all of `needed` rights.
    Errno fd(uint32_t fd, Rights needed, FdEntry*& out) const noexcept {
        out = ctx.fds().find(fd);
        if (!out) return errno_::badf;
        if ((out->base & needed) != needed) return errno_::notcapable;
        return errno_::success;
    }
};

/// A preview1 implementation: returns the errno the guest sees.
using Implementation = Errno (*)(Env& env, const wasm::Value* args);

/// Translates a Linux errno value to its WASI counterpart (EIO for anything unknown).
Errno from_host_errno(int host_errno) noexcept;
inline Errno last_errno() noexcept {
    return from_host_errno(errno);
}

/// Host iovecs of one transfer: the first few live inline (wasi-libc's stdio passes at most
/// two), so the common fd_write/fd_read allocates nothing; more spill to the heap.
class IovecList {
public:
    void clear() noexcept {
        size_ = 0;
        heap_.clear();
    }
    void push_back(const iovec& entry) {
        if (size_ < inline_capacity) {
            inline_[size_] = entry;
        } else {
            if (size_ == inline_capacity) heap_.assign(inline_, inline_ + inline_capacity);
            heap_.push_back(entry);
        }
        ++size_;
    }
    iovec* data() noexcept { return size_ > inline_capacity ? heap_.data() : inline_; }
    size_t size() const noexcept { return size_; }

private:
    static constexpr size_t inline_capacity = 8;
    iovec inline_[inline_capacity];
    std::vector<iovec> heap_;
    size_t size_ = 0;
};

/// Reads an iovec array from guest memory into host iovecs (at most IOV_MAX; further entries
/// are ignored, which POSIX allows as a short transfer). EFAULT if any part is out of bounds.
Errno gather_iovecs(const Env& env, uint32_t iovs, uint32_t count, IovecList& out);

/// A guest path (not NUL-terminated in the ABI). EFAULT if out of bounds, EINVAL if it
/// contains a NUL byte, ENAMETOOLONG beyond PATH_MAX.
Errno read_path(const Env& env, uint32_t ptr, uint32_t len, std::string& out);

/// Blocks until `host_fd` is ready for `events` or shutdown is requested (then EINTR).
/// Success without waiting for regular files, directories, O_NONBLOCK fds and writes (POLLOUT:
/// the write itself blocks, uninterrupted by shutdown, so exit-time output is never lost).
Errno wait_ready(const Env& env, const FdEntry& entry, short events);

/// Builds utimensat(2) times from WASI timestamps and fstflags (EINVAL on contradictory flags).
Errno make_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec out[2]) noexcept;

/// Converts a stat to a WASI filestat in guest memory at `ptr`.
Errno store_filestat(const Env& env, uint32_t ptr, const struct stat& st);

// The implementation tables of each family (wasi_*.cpp), looked up by name at registration.
struct NamedImplementation {
    std::string_view name;
    Implementation function;
};
extern const NamedImplementation args_env_clock_functions[];
extern const size_t args_env_clock_function_count;
extern const NamedImplementation fd_functions[];
extern const size_t fd_function_count;
extern const NamedImplementation path_functions[];
extern const size_t path_function_count;
extern const NamedImplementation poll_sock_functions[];
extern const size_t poll_sock_function_count;

} // namespace wbpf::wasi
