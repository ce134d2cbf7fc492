#include "wasi/host_support.hpp"

#include <cerrno>
#include <climits>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

namespace wbpf::wasi {

Errno from_host_errno(int e) noexcept {
    switch (e) {
    case 0: return errno_::success;
    case E2BIG: return errno_::toobig;
    case EACCES: return errno_::acces;
    case EADDRINUSE: return errno_::addrinuse;
    case EADDRNOTAVAIL: return errno_::addrnotavail;
    case EAFNOSUPPORT: return errno_::afnosupport;
    case EAGAIN: return errno_::again;
    case EALREADY: return errno_::already;
    case EBADF: return errno_::badf;
    case EBADMSG: return errno_::badmsg;
    case EBUSY: return errno_::busy;
    case ECANCELED: return errno_::canceled;
    case ECHILD: return errno_::child;
    case ECONNABORTED: return errno_::connaborted;
    case ECONNREFUSED: return errno_::connrefused;
    case ECONNRESET: return errno_::connreset;
    case EDEADLK: return errno_::deadlk;
    case EDESTADDRREQ: return errno_::destaddrreq;
    case EDOM: return errno_::dom;
    case EDQUOT: return errno_::dquot;
    case EEXIST: return errno_::exist;
    case EFAULT: return errno_::fault;
    case EFBIG: return errno_::fbig;
    case EHOSTUNREACH: return errno_::hostunreach;
    case EIDRM: return errno_::idrm;
    case EILSEQ: return errno_::ilseq;
    case EINPROGRESS: return errno_::inprogress;
    case EINTR: return errno_::intr;
    case EINVAL: return errno_::inval;
    case EIO: return errno_::io;
    case EISCONN: return errno_::isconn;
    case EISDIR: return errno_::isdir;
    case ELOOP: return errno_::loop;
    case EMFILE: return errno_::mfile;
    case EMLINK: return errno_::mlink;
    case EMSGSIZE: return errno_::msgsize;
    case EMULTIHOP: return errno_::multihop;
    case ENAMETOOLONG: return errno_::nametoolong;
    case ENETDOWN: return errno_::netdown;
    case ENETRESET: return errno_::netreset;
    case ENETUNREACH: return errno_::netunreach;
    case ENFILE: return errno_::nfile;
    case ENOBUFS: return errno_::nobufs;
    case ENODEV: return errno_::nodev;
    case ENOENT: return errno_::noent;
    case ENOEXEC: return errno_::noexec;
    case ENOLCK: return errno_::nolck;
    case ENOLINK: return errno_::nolink;
    case ENOMEM: return errno_::nomem;
    case ENOMSG: return errno_::nomsg;
    case ENOPROTOOPT: return errno_::noprotoopt;
    case ENOSPC: return errno_::nospc;
    case ENOSYS: return errno_::nosys;
    case ENOTCONN: return errno_::notconn;
    case ENOTDIR: return errno_::notdir;
    case ENOTEMPTY: return errno_::notempty;
    case ENOTRECOVERABLE: return errno_::notrecoverable;
    case ENOTSOCK: return errno_::notsock;
    case EOPNOTSUPP: return errno_::notsup; // == ENOTSUP on Linux
    case ENOTTY: return errno_::notty;
    case ENXIO: return errno_::nxio;
    case EOVERFLOW: return errno_::overflow;
    case EOWNERDEAD: return errno_::ownerdead;
    case EPERM: return errno_::perm;
    case EPIPE: return errno_::pipe;
    case EPROTO: return errno_::proto;
    case EPROTONOSUPPORT: return errno_::protonosupport;
    case EPROTOTYPE: return errno_::prototype;
    case ERANGE: return errno_::range;
    case EROFS: return errno_::rofs;
    case ESPIPE: return errno_::spipe;
    case ESRCH: return errno_::srch;
    case ESTALE: return errno_::stale;
    case ETIMEDOUT: return errno_::timedout;
    case ETXTBSY: return errno_::txtbsy;
    case EXDEV: return errno_::xdev;
    default: return errno_::io;
    }
}

Errno gather_iovecs(const Env& env, uint32_t iovs, uint32_t count, IovecList& out) {
    out.clear();
    uint32_t n = count < IOV_MAX ? count : IOV_MAX;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; ++i) {
        uint64_t at = uint64_t{iovs} + uint64_t{i} * layout::iovec_size;
        uint32_t buf = 0, len = 0;
        if (!env.load(at + layout::iovec_buf, buf) || !env.load(at + layout::iovec_len, len))
            return errno_::fault;
        uint8_t* p = env.bytes(buf, len);
        if (!p) return errno_::fault;
        // The guest's size_t is 32 bits: a transfer must be reportable in a u32.
        if (total + len > UINT32_MAX) break;
        total += len;
        out.push_back({p, len});
    }
    return errno_::success;
}

Errno read_path(const Env& env, uint32_t ptr, uint32_t len, std::string& out) {
    uint8_t* p = env.bytes(ptr, len);
    if (!p) return errno_::fault;
    if (len >= PATH_MAX) return errno_::nametoolong;
    out.assign(reinterpret_cast<const char*>(p), len);
    if (out.find('\0') != std::string::npos) return errno_::inval;
    return errno_::success;
}

Errno wait_ready(const Env& env, const FdEntry& entry, short events) {
    if (entry.type == Filetype::regular_file || entry.type == Filetype::directory)
        return errno_::success;
    int shutdown_fd = env.ctx.shutdown_fd();
    if (shutdown_fd < 0) return errno_::success;
    // A write is never cut short by shutdown: after Ctrl-C a tool prints its summary, and a
    // reader slower than the tool must still get all of it. The signal supervisor's grace
    // period (then its hard stop) still bounds a write that never completes.
    if (events & POLLOUT) return errno_::success;
    int fl = fcntl(entry.host_fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) return errno_::success;
    for (;;) {
        pollfd fds[2] = {{entry.host_fd, events, 0}, {shutdown_fd, POLLIN, 0}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return last_errno();
        // Ready, hung up or in error: the read/write itself reports which. Readiness wins
        // over shutdown so a guest can still flush its output while exiting.
        if (fds[0].revents) return errno_::success;
        if (fds[1].revents) return errno_::intr;
    }
}

Errno make_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec out[2]) noexcept {
    if (flags & ~uint32_t{0xf}) return errno_::inval;
    if (((flags & fstflags::atim) && (flags & fstflags::atim_now)) ||
        ((flags & fstflags::mtim) && (flags & fstflags::mtim_now)))
        return errno_::inval;
    auto one = [](uint64_t ns, bool set, bool now, struct timespec& t) {
        if (now) {
            t = {0, UTIME_NOW};
        } else if (set) {
            t.tv_sec = static_cast<time_t>(ns / 1000000000ull);
            t.tv_nsec = static_cast<long>(ns % 1000000000ull);
        } else {
            t = {0, UTIME_OMIT};
        }
    };
    one(atim, flags & fstflags::atim, flags & fstflags::atim_now, out[0]);
    one(mtim, flags & fstflags::mtim, flags & fstflags::mtim_now, out[1]);
    return errno_::success;
}

Errno store_filestat(const Env& env, uint32_t ptr, const struct stat& st) {
    Filetype type = Filetype::unknown;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: type = Filetype::regular_file; break;
    case S_IFDIR: type = Filetype::directory; break;
    case S_IFCHR: type = Filetype::character_device; break;
    case S_IFBLK: type = Filetype::block_device; break;
    case S_IFLNK: type = Filetype::symbolic_link; break;
    case S_IFSOCK: type = Filetype::socket_stream; break;
    default: break;
    }
    auto ns = [](const timespec& t) {
        return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
    };
    if (!env.bytes(ptr, layout::filestat_size)) return errno_::fault;
    uint8_t zero[layout::filestat_size] = {};
    std::memcpy(env.bytes(ptr, layout::filestat_size), zero, sizeof zero);
    env.store(ptr + layout::filestat_dev, static_cast<uint64_t>(st.st_dev));
    env.store(ptr + layout::filestat_ino, static_cast<uint64_t>(st.st_ino));
    env.store(ptr + layout::filestat_filetype, static_cast<uint8_t>(type));
    env.store(ptr + layout::filestat_nlink, static_cast<uint64_t>(st.st_nlink));
    env.store(ptr + layout::filestat_size_field, static_cast<uint64_t>(st.st_size));
    env.store(ptr + layout::filestat_atim, ns(st.st_atim));
    env.store(ptr + layout::filestat_mtim, ns(st.st_mtim));
    env.store(ptr + layout::filestat_ctim, ns(st.st_ctim));
    return errno_::success;
}

} // namespace wbpf::wasi
