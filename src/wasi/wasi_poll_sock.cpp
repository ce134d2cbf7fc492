// poll_oneoff and the sock_* functions (preview1 sockets: only already-open sockets exist).
#include "wasi/host_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wbpf::wasi {
namespace {

using wasm::Value;

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Subscription {
    uint64_t userdata = 0;
    uint8_t type = 0;
    Errno error = errno_::success; ///< set when the subscription is invalid: reported at once
    uint64_t wait_ns = 0;          ///< clock: time to wait from the start of the call
    int pollfd_index = -1;         ///< fd: index into the pollfd set
    FdEntry* entry = nullptr;
};

/// Nanoseconds until a clock subscription fires, measured now.
Errno clock_wait(uint32_t id, uint64_t timeout, uint16_t flags, uint64_t& wait_ns) {
    clockid_t host;
    switch (id) {
    case clockid::realtime: host = CLOCK_REALTIME; break;
    case clockid::monotonic: host = CLOCK_MONOTONIC; break;
    case clockid::process_cputime: host = CLOCK_PROCESS_CPUTIME_ID; break;
    case clockid::thread_cputime: host = CLOCK_THREAD_CPUTIME_ID; break;
    default: return errno_::inval;
    }
    if (!(flags & subclockflags::abstime)) {
        wait_ns = timeout;
        return errno_::success;
    }
    timespec ts{};
    clock_gettime(host, &ts);
    uint64_t now =
        static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    wait_ns = timeout > now ? timeout - now : 0;
    return errno_::success;
}

/// Bytes available to read from `e` (a hint; 0 if unknown).
uint64_t readable_bytes(const FdEntry& e) {
    if (e.type == Filetype::regular_file) {
        struct stat st {};
        off_t pos = lseek(e.host_fd, 0, SEEK_CUR);
        if (fstat(e.host_fd, &st) == 0 && pos >= 0 && st.st_size > pos)
            return static_cast<uint64_t>(st.st_size - pos);
        return 0;
    }
    int n = 0;
    return ioctl(e.host_fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<uint64_t>(n) : 0;
}

/// poll_oneoff: blocks until a subscription fires. While shutdown is requested it returns
/// EINTR (at once, or as soon as the request arrives) without reporting events, so
/// nanosleep()/sleep() and poll() in the guest end early with an error.
Errno poll_oneoff(Env& env, const Value* a) {
    uint32_t in = a[0].i32, out = a[1].i32, count = a[2].i32, nevents_ptr = a[3].i32;
    if (count == 0) return errno_::inval;
    if (!env.bytes(in, uint64_t{count} * layout::subscription_size) ||
        !env.bytes(out, uint64_t{count} * layout::event_size) || !env.bytes(nevents_ptr, 4))
        return errno_::fault;
    if (count > 4096) return errno_::nomem;

    std::vector<Subscription> subs(count);
    std::vector<pollfd> fds;
    bool immediate = false;
    uint64_t min_wait = UINT64_MAX;
    for (uint32_t i = 0; i < count; ++i) {
        uint64_t at = uint64_t{in} + uint64_t{i} * layout::subscription_size;
        Subscription& s = subs[i];
        env.load(at + layout::subscription_userdata, s.userdata);
        env.load(at + layout::subscription_tag, s.type);
        if (s.type == eventtype::clock) {
            uint32_t id = 0;
            uint64_t timeout = 0;
            uint16_t flags = 0;
            env.load(at + layout::subscription_clock_id, id);
            env.load(at + layout::subscription_clock_timeout, timeout);
            env.load(at + layout::subscription_clock_flags, flags);
            s.error = clock_wait(id, timeout, flags, s.wait_ns);
            if (!s.error) min_wait = std::min(min_wait, s.wait_ns);
        } else if (s.type == eventtype::fd_read || s.type == eventtype::fd_write) {
            uint32_t fd = 0;
            env.load(at + layout::subscription_fd, fd);
            s.error = env.fd(fd, rights::poll_fd_readwrite, s.entry);
            if (!s.error) {
                s.pollfd_index = static_cast<int>(fds.size());
                short events = s.type == eventtype::fd_read ? POLLIN : POLLOUT;
                fds.push_back({s.entry->host_fd, events, 0});
            }
        } else {
            return errno_::inval;
        }
        if (s.error) immediate = true;
    }

    int shutdown_fd = env.ctx.shutdown_fd();
    size_t shutdown_index = fds.size();
    if (shutdown_fd >= 0) fds.push_back({shutdown_fd, POLLIN, 0});

    uint64_t start = monotonic_ns();
    for (;;) {
        if (env.ctx.shutdown_requested()) return errno_::intr;
        uint64_t elapsed = monotonic_ns() - start;
        timespec timeout{};
        timespec* timeout_ptr = nullptr;
        if (immediate) {
            timeout_ptr = &timeout;
        } else if (min_wait != UINT64_MAX) {
            uint64_t left = min_wait > elapsed ? min_wait - elapsed : 0;
            timeout.tv_sec = static_cast<time_t>(left / 1000000000ull);
            timeout.tv_nsec = static_cast<long>(left % 1000000000ull);
            timeout_ptr = &timeout;
        }
        int n = ppoll(fds.data(), fds.size(), timeout_ptr, nullptr);
        if (n < 0 && errno != EINTR) return last_errno();
        if (env.ctx.shutdown_requested() ||
            (shutdown_fd >= 0 && n > 0 && fds[shutdown_index].revents))
            return errno_::intr;
        elapsed = monotonic_ns() - start;
        uint32_t nevents = 0;
        for (Subscription& s : subs) {
            uint64_t ev = uint64_t{out} + uint64_t{nevents} * layout::event_size;
            uint64_t nbytes = 0;
            uint16_t rwflags = 0;
            Errno error = s.error;
            bool fired = s.error != errno_::success;
            if (!fired && s.type == eventtype::clock) {
                fired = elapsed >= s.wait_ns;
            } else if (!fired && n > 0) {
                short revents = fds[static_cast<size_t>(s.pollfd_index)].revents;
                fired = revents != 0;
                if (revents & POLLNVAL) error = errno_::badf;
                if (revents & POLLHUP) rwflags |= eventrwflags::hangup;
                if (fired && s.type == eventtype::fd_read) nbytes = readable_bytes(*s.entry);
            }
            if (!fired) continue;
            uint8_t zero[layout::event_size] = {};
            std::memcpy(env.bytes(ev, layout::event_size), zero, sizeof zero);
            env.store(ev + layout::event_userdata, s.userdata);
            env.store(ev + layout::event_error, error);
            env.store(ev + layout::event_type, s.type);
            env.store(ev + layout::event_nbytes, nbytes);
            env.store(ev + layout::event_flags, rwflags);
            ++nevents;
        }
        if (nevents > 0) {
            env.store(nevents_ptr, nevents);
            return errno_::success;
        }
        // Woken early (EINTR) or a clock of coarser resolution: wait for the rest.
    }
}

Errno sock_accept(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::sock_accept, e)) return err;
    if (a[1].i32 & ~uint32_t{fdflags::nonblock}) return errno_::inval;
    if (!env.bytes(a[2].i32, 4)) return errno_::fault;
    if (!(a[1].i32 & fdflags::nonblock))
        if (Errno err = wait_ready(env, *e, POLLIN)) return err;
    int flags = SOCK_CLOEXEC | ((a[1].i32 & fdflags::nonblock) ? SOCK_NONBLOCK : 0);
    int fd = accept4(e->host_fd, nullptr, nullptr, flags);
    if (fd < 0) return last_errno();
    FdEntry entry;
    entry.host_fd = fd;
    entry.type = filetype_of(fd);
    entry.base = rights::fd_read | rights::fd_write | rights::fd_fdstat_set_flags |
                 rights::fd_filestat_get | rights::poll_fd_readwrite | rights::sock_shutdown;
    entry.inheriting = 0;
    auto guest_fd = env.ctx.fds().insert(std::move(entry));
    if (!guest_fd) {
        close(fd);
        return errno_::mfile;
    }
    env.store(a[2].i32, *guest_fd);
    return errno_::success;
}

Errno sock_recv(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_read, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    uint32_t in_flags = a[3].i32;
    if (in_flags & ~uint32_t{riflags::recv_peek | riflags::recv_waitall}) return errno_::inval;
    if (!env.bytes(a[4].i32, 4) || !env.bytes(a[5].i32, 2)) return errno_::fault;
    if (Errno err = wait_ready(env, *e, POLLIN)) return err;
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    int flags = 0;
    if (in_flags & riflags::recv_peek) flags |= MSG_PEEK;
    if (in_flags & riflags::recv_waitall) flags |= MSG_WAITALL;
    ssize_t n;
    do
        n = recvmsg(e->host_fd, &msg, flags);
    while (n < 0 && errno == EINTR && !env.ctx.shutdown_requested());
    if (n < 0) return last_errno();
    uint16_t out_flags = (msg.msg_flags & MSG_TRUNC) ? roflags::recv_data_truncated : 0;
    env.store(a[4].i32, static_cast<uint32_t>(n));
    env.store(a[5].i32, out_flags);
    return errno_::success;
}

Errno sock_send(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_write, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    if (a[3].i32 != 0) return errno_::inval; // no siflags are defined
    if (!env.bytes(a[4].i32, 4)) return errno_::fault;
    if (Errno err = wait_ready(env, *e, POLLOUT)) return err;
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    ssize_t n;
    do
        n = sendmsg(e->host_fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR && !env.ctx.shutdown_requested());
    if (n < 0) return last_errno();
    env.store(a[4].i32, static_cast<uint32_t>(n));
    return errno_::success;
}

Errno sock_shutdown(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::sock_shutdown, e)) return err;
    int how;
    switch (a[1].i32) {
    case sdflags::rd: how = SHUT_RD; break;
    case sdflags::wr: how = SHUT_WR; break;
    case sdflags::rd | sdflags::wr: how = SHUT_RDWR; break;
    default: return errno_::inval;
    }
    return shutdown(e->host_fd, how) == 0 ? errno_::success : last_errno();
}

} // namespace

const NamedImplementation poll_sock_functions[] = {
    {"poll_oneoff", poll_oneoff}, {"sock_accept", sock_accept},     {"sock_recv", sock_recv},
    {"sock_send", sock_send},     {"sock_shutdown", sock_shutdown},
};
const size_t poll_sock_function_count = std::size(poll_sock_functions);

} // namespace wbpf::wasi
