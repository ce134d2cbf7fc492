// Path resolution that never leaves a preopened directory.
//
// Every lookup goes through openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS relative to
// the directory fd the guest named: the kernel resolves component by component, atomically with
// respect to concurrent renames, and refuses `..` above the start, absolute paths, absolute
// symlinks and symlinks escaping the tree (EXDEV, reported to the guest as ENOTCAPABLE), and
// /proc magic links (ELOOP). Operations that act on a name (mkdir, unlink, rename, ...) resolve
// the parent this way and then use the *at(2) call on the final component, which is a single
// name and so cannot escape either.
#pragma once

#include "wasi/abi.hpp"

#include <string>
#include <string_view>

#include <sys/types.h>

namespace wbpf::wasi {

/// An owned host fd, closed on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    ~UniqueFd();
    int get() const noexcept { return fd_; }
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

/// Opens `path` relative to `dirfd` without leaving it. `flags` are open(2) flags (O_CLOEXEC is
/// added). Escapes give ENOTCAPABLE.
Errno open_beneath(int dirfd, std::string_view path, int flags, mode_t mode, UniqueFd& out);

/// The directory holding the last component of a path, and that component.
struct ParentRef {
    UniqueFd dir;     ///< an O_PATH directory fd beneath the start directory
    std::string name; ///< a single component (trailing slashes kept); "." for `.`/`..` paths
    /// The path ended in '/': calls that would follow a final symlink because of it (stat,
    /// utimensat, readlink, link sources) must resolve the whole path with open_beneath.
    bool trailing_slash = false;
};

/// Resolves all but the last component of `path` beneath `dirfd`. A last component of `.` or
/// `..` is resolved too (so the result never names something outside), giving name ".".
Errno resolve_parent(int dirfd, std::string_view path, ParentRef& out);

/// "/proc/self/fd/N": lets calls that lack an AT_EMPTY_PATH form act on an O_PATH fd.
std::string proc_fd_path(int fd);

} // namespace wbpf::wasi
