// The fd_* family of preview1 functions.
#include "wasi/host_support.hpp"
#include "wasi/sandbox_path.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace wbpf::wasi {
namespace {

using wasm::Value;

Errno fd_advise(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_advise, e)) return err;
    static constexpr int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                     POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                     POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    if (a[3].i32 >= std::size(advice)) return errno_::inval;
    if (static_cast<int64_t>(a[1].i64) < 0 || static_cast<int64_t>(a[2].i64) < 0)
        return errno_::inval;
    if (e->type == Filetype::directory) return errno_::badf;
    return from_host_errno(posix_fadvise(e->host_fd, static_cast<off_t>(a[1].i64),
                                         static_cast<off_t>(a[2].i64), advice[a[3].i32]));
}

Errno fd_allocate(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_allocate, e)) return err;
    if (static_cast<int64_t>(a[1].i64) < 0 || static_cast<int64_t>(a[2].i64) <= 0)
        return errno_::inval;
    if (e->type == Filetype::directory) return errno_::badf;
    return from_host_errno(
        posix_fallocate(e->host_fd, static_cast<off_t>(a[1].i64), static_cast<off_t>(a[2].i64)));
}

Errno fd_close(Env& env, const Value* a) {
    return env.ctx.fds().close(a[0].i32) ? errno_::success : errno_::badf;
}

Errno fd_datasync(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_datasync, e)) return err;
    return fdatasync(e->host_fd) == 0 ? errno_::success : last_errno();
}

Errno fd_sync(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_sync, e)) return err;
    return fsync(e->host_fd) == 0 ? errno_::success : last_errno();
}

Errno fd_fdstat_get(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, 0, e)) return err;
    uint32_t ptr = a[1].i32;
    if (!env.bytes(ptr, layout::fdstat_size)) return errno_::fault;
    int fl = fcntl(e->host_fd, F_GETFL);
    uint16_t flags = 0;
    if (fl >= 0) {
        if (fl & O_APPEND) flags |= fdflags::append;
        if (fl & O_NONBLOCK) flags |= fdflags::nonblock;
        if ((fl & O_SYNC) == O_SYNC)
            flags |= fdflags::sync;
        else if (fl & O_DSYNC)
            flags |= fdflags::dsync;
        if ((fl & O_RSYNC) == O_RSYNC && (fl & O_SYNC) == O_SYNC) flags |= fdflags::rsync;
    }
    std::memset(env.bytes(ptr, layout::fdstat_size), 0, layout::fdstat_size);
    env.store(ptr + layout::fdstat_filetype, static_cast<uint8_t>(e->type));
    env.store(ptr + layout::fdstat_flags, flags);
    env.store(ptr + layout::fdstat_rights_base, e->base);
    env.store(ptr + layout::fdstat_rights_inheriting, e->inheriting);
    return errno_::success;
}

Errno fd_fdstat_set_flags(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_fdstat_set_flags, e)) return err;
    uint32_t wanted = a[1].i32;
    if (wanted & ~uint32_t{0x1f}) return errno_::inval;
    // Linux cannot change the sync modes of an open file description.
    if (wanted & (fdflags::dsync | fdflags::rsync | fdflags::sync)) return errno_::notsup;
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0) return last_errno();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (wanted & fdflags::append) fl |= O_APPEND;
    if (wanted & fdflags::nonblock) fl |= O_NONBLOCK;
    return fcntl(e->host_fd, F_SETFL, fl) == 0 ? errno_::success : last_errno();
}

Errno fd_fdstat_set_rights(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, 0, e)) return err;
    Rights base = a[1].i64, inheriting = a[2].i64;
    // Rights can only be dropped, never gained.
    if ((base & ~e->base) || (inheriting & ~e->inheriting)) return errno_::notcapable;
    e->base = base;
    e->inheriting = inheriting;
    return errno_::success;
}

Errno fd_filestat_get(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_filestat_get, e)) return err;
    struct stat st {};
    if (fstat(e->host_fd, &st) != 0) return last_errno();
    return store_filestat(env, a[1].i32, st);
}

Errno fd_filestat_set_size(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_filestat_set_size, e)) return err;
    if (static_cast<int64_t>(a[1].i64) < 0) return errno_::inval;
    return ftruncate(e->host_fd, static_cast<off_t>(a[1].i64)) == 0 ? errno_::success
                                                                    : last_errno();
}

Errno fd_filestat_set_times(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_filestat_set_times, e)) return err;
    struct timespec times[2];
    if (Errno err = make_times(a[1].i64, a[2].i64, a[3].i32, times)) return err;
    return futimens(e->host_fd, times) == 0 ? errno_::success : last_errno();
}

Errno finish_transfer(Env& env, ssize_t n, uint32_t result_ptr) {
    if (n < 0) return last_errno();
    return env.store(result_ptr, static_cast<uint32_t>(n)) ? errno_::success : errno_::fault;
}

Errno fd_read(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_read, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    if (!env.bytes(a[3].i32, 4)) return errno_::fault;
    if (Errno err = wait_ready(env, *e, POLLIN)) return err;
    ssize_t n;
    do
        n = readv(e->host_fd, iov.data(), static_cast<int>(iov.size()));
    while (n < 0 && errno == EINTR && !env.ctx.shutdown_requested());
    return finish_transfer(env, n, a[3].i32);
}

Errno fd_write(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_write, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    if (!env.bytes(a[3].i32, 4)) return errno_::fault;
    // A pipe or terminal with room takes the write at once: one syscall instead of wait_ready's
    // fcntl + poll + writev (a tool flushing its output per batch of events pays this each time).
    if (e->type != Filetype::regular_file && !e->no_nowait_writes) {
        ssize_t n = pwritev2(e->host_fd, iov.data(), static_cast<int>(iov.size()), -1, RWF_NOWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EOPNOTSUPP && errno != EINVAL))
            return finish_transfer(env, n, a[3].i32);
        if (errno != EAGAIN) e->no_nowait_writes = true; // e.g. a tty: the old path from now on
    }
    if (Errno err = wait_ready(env, *e, POLLOUT)) return err;
    ssize_t n;
    do
        n = writev(e->host_fd, iov.data(), static_cast<int>(iov.size()));
    while (n < 0 && errno == EINTR && !env.ctx.shutdown_requested());
    return finish_transfer(env, n, a[3].i32);
}

Errno fd_pread(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_read | rights::fd_seek, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    if (static_cast<int64_t>(a[3].i64) < 0) return errno_::inval;
    if (!env.bytes(a[4].i32, 4)) return errno_::fault;
    ssize_t n;
    do
        n = preadv(e->host_fd, iov.data(), static_cast<int>(iov.size()),
                   static_cast<off_t>(a[3].i64));
    while (n < 0 && errno == EINTR);
    return finish_transfer(env, n, a[4].i32);
}

Errno fd_pwrite(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_write | rights::fd_seek, e)) return err;
    IovecList iov;
    if (Errno err = gather_iovecs(env, a[1].i32, a[2].i32, iov)) return err;
    if (static_cast<int64_t>(a[3].i64) < 0) return errno_::inval;
    if (!env.bytes(a[4].i32, 4)) return errno_::fault;
    ssize_t n;
    do
        n = pwritev(e->host_fd, iov.data(), static_cast<int>(iov.size()),
                    static_cast<off_t>(a[3].i64));
    while (n < 0 && errno == EINTR);
    return finish_transfer(env, n, a[4].i32);
}

Errno fd_seek(Env& env, const Value* a) {
    int64_t offset = static_cast<int64_t>(a[1].i64);
    uint32_t wh = a[2].i32;
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, 0, e)) return err;
    // A zero move from the current position is a tell, which fd_tell alone permits.
    bool tell_only = wh == whence::cur && offset == 0;
    if (!(e->base & rights::fd_seek) && !(tell_only && (e->base & rights::fd_tell)))
        return errno_::notcapable;
    int host_whence;
    switch (wh) {
    case whence::set: host_whence = SEEK_SET; break;
    case whence::cur: host_whence = SEEK_CUR; break;
    case whence::end: host_whence = SEEK_END; break;
    default: return errno_::inval;
    }
    if (!env.bytes(a[3].i32, 8)) return errno_::fault;
    off_t pos = lseek(e->host_fd, static_cast<off_t>(offset), host_whence);
    if (pos < 0) return last_errno();
    env.store(a[3].i32, static_cast<uint64_t>(pos));
    return errno_::success;
}

Errno fd_tell(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_tell, e)) return err;
    if (!env.bytes(a[1].i32, 8)) return errno_::fault;
    off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
    if (pos < 0) return last_errno();
    env.store(a[1].i32, static_cast<uint64_t>(pos));
    return errno_::success;
}

Errno fd_prestat_get(Env& env, const Value* a) {
    FdEntry* e = env.ctx.fds().find(a[0].i32);
    if (!e || !e->preopen_name) return errno_::badf;
    uint32_t ptr = a[1].i32;
    if (!env.bytes(ptr, layout::prestat_size)) return errno_::fault;
    std::memset(env.bytes(ptr, layout::prestat_size), 0, layout::prestat_size);
    env.store(ptr + layout::prestat_tag, preopentype_dir);
    env.store(ptr + layout::prestat_name_len, static_cast<uint32_t>(e->preopen_name->size()));
    return errno_::success;
}

Errno fd_prestat_dir_name(Env& env, const Value* a) {
    FdEntry* e = env.ctx.fds().find(a[0].i32);
    if (!e || !e->preopen_name) return errno_::badf;
    const std::string& name = *e->preopen_name;
    uint8_t* out = env.bytes(a[1].i32, a[2].i32);
    if (!out) return errno_::fault;
    if (a[2].i32 < name.size()) return errno_::nametoolong;
    // WASI strings are length-delimited: no terminating NUL is written.
    std::memcpy(out, name.data(), name.size()); // NOLINT(bugprone-not-null-terminated-result)
    return errno_::success;
}

/// Snapshots the directory behind `e` (with "." and ".."), the listing cookies index into.
Errno snapshot_directory(FdEntry& e) {
    UniqueFd fresh(openat(e.host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fresh.get() < 0) return last_errno();
    DIR* dir = fdopendir(fresh.get());
    if (!dir) return last_errno();
    fresh.release();
    e.listing.clear();
    errno = 0;
    while (dirent* d = readdir(dir)) {
        DirEntry entry{d->d_name, d->d_ino, Filetype::unknown};
        unsigned char t = d->d_type;
        if (t == DT_UNKNOWN) {
            struct stat st {};
            if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                t = IFTODT(st.st_mode);
        }
        switch (t) {
        case DT_REG: entry.type = Filetype::regular_file; break;
        case DT_DIR: entry.type = Filetype::directory; break;
        case DT_LNK: entry.type = Filetype::symbolic_link; break;
        case DT_CHR: entry.type = Filetype::character_device; break;
        case DT_BLK: entry.type = Filetype::block_device; break;
        case DT_SOCK: entry.type = Filetype::socket_stream; break;
        default: break;
        }
        e.listing.push_back(std::move(entry));
    }
    int err = errno;
    closedir(dir);
    return err ? from_host_errno(err) : errno_::success;
}

Errno fd_readdir(Env& env, const Value* a) {
    FdEntry* e;
    if (Errno err = env.fd(a[0].i32, rights::fd_readdir, e)) return err;
    uint32_t buf = a[1].i32, buf_len = a[2].i32;
    uint64_t cookie = a[3].i64;
    uint8_t* out = env.bytes(buf, buf_len);
    if (!out || !env.bytes(a[4].i32, 4)) return errno_::fault;
    if (e->type != Filetype::directory) return errno_::notdir;
    if (cookie == 0 || e->listing.empty())
        if (Errno err = snapshot_directory(*e)) return err;
    uint32_t used = 0;
    for (uint64_t i = cookie; i < e->listing.size() && used < buf_len; ++i) {
        const DirEntry& d = e->listing[i];
        uint8_t header[layout::dirent_size] = {};
        uint64_t next = i + 1;
        uint32_t namlen = static_cast<uint32_t>(d.name.size());
        std::memcpy(header + layout::dirent_next, &next, 8);
        std::memcpy(header + layout::dirent_ino, &d.ino, 8);
        std::memcpy(header + layout::dirent_namlen, &namlen, 4);
        header[layout::dirent_type] = static_cast<uint8_t>(d.type);
        // A truncated last entry tells the guest to retry with a larger buffer.
        uint32_t n = std::min<uint32_t>(layout::dirent_size, buf_len - used);
        std::memcpy(out + used, header, n);
        used += n;
        n = std::min<uint32_t>(namlen, buf_len - used);
        std::memcpy(out + used, d.name.data(), n);
        used += n;
    }
    env.store(a[4].i32, used);
    return errno_::success;
}

Errno fd_renumber(Env& env, const Value* a) {
    return env.ctx.fds().renumber(a[0].i32, a[1].i32) ? errno_::success : errno_::badf;
}

} // namespace

const NamedImplementation fd_functions[] = {
    {"fd_advise", fd_advise},
    {"fd_allocate", fd_allocate},
    {"fd_close", fd_close},
    {"fd_datasync", fd_datasync},
    {"fd_fdstat_get", fd_fdstat_get},
    {"fd_fdstat_set_flags", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", fd_fdstat_set_rights},
    {"fd_filestat_get", fd_filestat_get},
    {"fd_filestat_set_size", fd_filestat_set_size},
    {"fd_filestat_set_times", fd_filestat_set_times},
    {"fd_pread", fd_pread},
    {"fd_prestat_get", fd_prestat_get},
    {"fd_prestat_dir_name", fd_prestat_dir_name},
    {"fd_pwrite", fd_pwrite},
    {"fd_read", fd_read},
    {"fd_readdir", fd_readdir},
    {"fd_renumber", fd_renumber},
    {"fd_seek", fd_seek},
    {"fd_sync", fd_sync},
    {"fd_tell", fd_tell},
    {"fd_write", fd_write},
};
const size_t fd_function_count = std::size(fd_functions);

} // namespace wbpf::wasi
