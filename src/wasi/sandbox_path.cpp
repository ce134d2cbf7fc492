#include "wasi/sandbox_path.hpp"

#include "wasi/host_support.hpp"

#include <cerrno>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wbpf::wasi {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

Errno open_beneath(int dirfd, std::string_view path, int flags, mode_t mode, UniqueFd& out) {
    if (path.empty()) return errno_::noent;
    if (path.front() == '/') return errno_::notcapable;
    std::string p(path);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    // O_TMPFILE shares bits with O_DIRECTORY: test it whole. A mode without them is EINVAL.
    how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0;; ++attempt) {
        long fd = syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how);
        if (fd >= 0) {
            out = UniqueFd(static_cast<int>(fd));
            return errno_::success;
        }
        // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry.
        if ((errno == EAGAIN || errno == EINTR) && attempt < 16) continue;
        if (errno == EXDEV) return errno_::notcapable;
        return last_errno();
    }
}

Errno resolve_parent(int dirfd, std::string_view path, ParentRef& out) {
    if (path.empty()) return errno_::noent;
    if (path.front() == '/') return errno_::notcapable;
    size_t end = path.find_last_not_of('/') + 1; // path is not all slashes: it is relative
    size_t slash = path.rfind('/', end - 1);
    size_t start = slash == std::string_view::npos ? 0 : slash + 1;
    std::string_view component = path.substr(start, end - start);
    if (component == "." || component == "..") {
        out.name = ".";
        return open_beneath(dirfd, path, O_PATH | O_DIRECTORY, 0, out.dir);
    }
    out.name = std::string(path.substr(start));
    out.trailing_slash = end != path.size();
    std::string_view parent = start == 0 ? std::string_view(".") : path.substr(0, start);
    return open_beneath(dirfd, parent, O_PATH | O_DIRECTORY, 0, out.dir);
}

std::string proc_fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace wbpf::wasi
