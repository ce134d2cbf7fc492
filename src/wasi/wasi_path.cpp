// The path_* family of preview1 functions. All resolution goes through sandbox_path.hpp.
#include "wasi/host_support.hpp"
#include "wasi/sandbox_path.hpp"

#include <cerrno>
#include <climits>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wbpf::wasi {
namespace {

using wasm::Value;

/// Looks up the directory fd, checks `needed` rights and reads the guest path.
Errno prepare(Env& env, uint32_t fd, Rights needed, uint32_t ptr, uint32_t len, FdEntry*& dir,
              std::string& path) {
    if (Errno err = env.fd(fd, needed, dir)) return err;
    return read_path(env, ptr, len, path);
}

/// Resolves the parent of a guest path relative to `dir`.
Errno parent_of(Env& env, uint32_t fd, Rights needed, uint32_t ptr, uint32_t len, ParentRef& out) {
    FdEntry* dir;
    std::string path;
    if (Errno err = prepare(env, fd, needed, ptr, len, dir, path)) return err;
    return resolve_parent(dir->host_fd, path, out);
}

Errno result(int rc) {
    return rc == 0 ? errno_::success : last_errno();
}

Errno path_create_directory(Env& env, const Value* a) {
    ParentRef p;
    if (Errno err = parent_of(env, a[0].i32, rights::path_create_directory, a[1].i32, a[2].i32, p))
        return err;
    return result(mkdirat(p.dir.get(), p.name.c_str(), 0777));
}

Errno path_filestat_get(Env& env, const Value* a) {
    FdEntry* dir;
    std::string path;
    if (Errno err =
            prepare(env, a[0].i32, rights::path_filestat_get, a[2].i32, a[3].i32, dir, path))
        return err;
    if (!env.bytes(a[4].i32, layout::filestat_size)) return errno_::fault;
    struct stat st {};
    ParentRef p;
    if (Errno err = resolve_parent(dir->host_fd, path, p)) return err;
    if ((a[1].i32 & lookupflags::symlink_follow) || p.trailing_slash) {
        UniqueFd target;
        if (Errno err = open_beneath(dir->host_fd, path, O_PATH, 0, target)) return err;
        if (fstat(target.get(), &st) != 0) return last_errno();
    } else if (fstatat(p.dir.get(), p.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return last_errno();
    }
    return store_filestat(env, a[4].i32, st);
}

Errno path_filestat_set_times(Env& env, const Value* a) {
    FdEntry* dir;
    std::string path;
    if (Errno err =
            prepare(env, a[0].i32, rights::path_filestat_set_times, a[2].i32, a[3].i32, dir, path))
        return err;
    struct timespec times[2];
    if (Errno err = make_times(a[4].i64, a[5].i64, a[6].i32, times)) return err;
    ParentRef p;
    if (Errno err = resolve_parent(dir->host_fd, path, p)) return err;
    if ((a[1].i32 & lookupflags::symlink_follow) || p.trailing_slash) {
        UniqueFd target;
        if (Errno err = open_beneath(dir->host_fd, path, O_PATH, 0, target)) return err;
        return result(utimensat(AT_FDCWD, proc_fd_path(target.get()).c_str(), times, 0));
    }
    return result(utimensat(p.dir.get(), p.name.c_str(), times, AT_SYMLINK_NOFOLLOW));
}

Errno path_link(Env& env, const Value* a) {
    FdEntry* old_dir;
    std::string old_path;
    if (Errno err =
            prepare(env, a[0].i32, rights::path_link_source, a[2].i32, a[3].i32, old_dir, old_path))
        return err;
    ParentRef target;
    if (Errno err = parent_of(env, a[4].i32, rights::path_link_target, a[5].i32, a[6].i32, target))
        return err;
    ParentRef source;
    if (Errno err = resolve_parent(old_dir->host_fd, old_path, source)) return err;
    if ((a[1].i32 & lookupflags::symlink_follow) || source.trailing_slash) {
        UniqueFd resolved;
        if (Errno err = open_beneath(old_dir->host_fd, old_path, O_PATH, 0, resolved)) return err;
        return result(linkat(AT_FDCWD, proc_fd_path(resolved.get()).c_str(), target.dir.get(),
                             target.name.c_str(), AT_SYMLINK_FOLLOW));
    }
    return result(
        linkat(source.dir.get(), source.name.c_str(), target.dir.get(), target.name.c_str(), 0));
}

Errno path_open(Env& env, const Value* a) {
    uint32_t dirflags = a[1].i32, of = a[4].i32, fdf = a[7].i32;
    Rights base = a[5].i64, inheriting = a[6].i64;
    Rights needed = rights::path_open;
    if (of & oflags::creat) needed |= rights::path_create_file;
    if (of & oflags::trunc) needed |= rights::path_filestat_set_size;
    FdEntry* dir;
    std::string path;
    if (Errno err = prepare(env, a[0].i32, needed, a[2].i32, a[3].i32, dir, path)) return err;
    if (!env.bytes(a[8].i32, 4)) return errno_::fault;
    if (of & ~uint32_t{0xf} || fdf & ~uint32_t{0x1f}) return errno_::inval;

    // A new descriptor never has more rights than its directory lets it inherit.
    base &= dir->inheriting;
    inheriting &= dir->inheriting;
    bool read = base & (rights::fd_read | rights::fd_readdir);
    bool write = base & (rights::fd_datasync | rights::fd_write | rights::fd_allocate |
                         rights::fd_filestat_set_size);
    int flags = O_NOCTTY;
    if (of & oflags::directory)
        flags |= O_RDONLY | O_DIRECTORY;
    else if (write)
        flags |= read ? O_RDWR : O_WRONLY;
    else
        flags |= O_RDONLY;
    if (of & oflags::creat) flags |= O_CREAT;
    if (of & oflags::excl) flags |= O_EXCL;
    if (of & oflags::trunc) flags |= O_TRUNC;
    if (!(dirflags & lookupflags::symlink_follow)) flags |= O_NOFOLLOW;
    if (fdf & fdflags::append) flags |= O_APPEND;
    if (fdf & fdflags::dsync) flags |= O_DSYNC;
    if (fdf & fdflags::nonblock) flags |= O_NONBLOCK;
    if (fdf & fdflags::rsync) flags |= O_RSYNC;
    if (fdf & fdflags::sync) flags |= O_SYNC;

    UniqueFd opened;
    if (Errno err = open_beneath(dir->host_fd, path, flags, 0666, opened)) return err;
    FdEntry entry;
    entry.type = filetype_of(opened.get());
    entry.base = base;
    entry.inheriting = inheriting;
    entry.host_fd = opened.get();
    auto fd = env.ctx.fds().insert(std::move(entry));
    if (!fd) return errno_::mfile;
    opened.release();
    env.store(a[8].i32, *fd);
    return errno_::success;
}

Errno path_readlink(Env& env, const Value* a) {
    FdEntry* dir;
    std::string path;
    if (Errno err = prepare(env, a[0].i32, rights::path_readlink, a[1].i32, a[2].i32, dir, path))
        return err;
    uint8_t* out = env.bytes(a[3].i32, a[4].i32);
    if (!out || !env.bytes(a[5].i32, 4)) return errno_::fault;
    ParentRef p;
    if (Errno err = resolve_parent(dir->host_fd, path, p)) return err;
    if (p.trailing_slash) {
        // "link/" names what the link points to, a directory, which is not a symlink.
        UniqueFd target;
        if (Errno err = open_beneath(dir->host_fd, path, O_PATH | O_DIRECTORY, 0, target))
            return err;
        return errno_::inval;
    }
    char buf[PATH_MAX];
    ssize_t n = readlinkat(p.dir.get(), p.name.c_str(), buf, sizeof buf);
    if (n < 0) return last_errno();
    uint32_t copied = static_cast<uint32_t>(n) < a[4].i32 ? static_cast<uint32_t>(n) : a[4].i32;
    std::memcpy(out, buf, copied);
    env.store(a[5].i32, copied);
    return errno_::success;
}

Errno path_remove_directory(Env& env, const Value* a) {
    ParentRef p;
    if (Errno err = parent_of(env, a[0].i32, rights::path_remove_directory, a[1].i32, a[2].i32, p))
        return err;
    return result(unlinkat(p.dir.get(), p.name.c_str(), AT_REMOVEDIR));
}

Errno path_rename(Env& env, const Value* a) {
    ParentRef from, to;
    if (Errno err = parent_of(env, a[0].i32, rights::path_rename_source, a[1].i32, a[2].i32, from))
        return err;
    if (Errno err = parent_of(env, a[3].i32, rights::path_rename_target, a[4].i32, a[5].i32, to))
        return err;
    return result(renameat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str()));
}

Errno path_symlink(Env& env, const Value* a) {
    std::string contents;
    if (Errno err = read_path(env, a[0].i32, a[1].i32, contents)) return err;
    ParentRef p;
    if (Errno err = parent_of(env, a[2].i32, rights::path_symlink, a[3].i32, a[4].i32, p))
        return err;
    // Resolution would refuse to follow it anyway, but an absolute link planted in a shared
    // directory could mislead host programs: refuse to create one.
    if (!contents.empty() && contents.front() == '/') return errno_::perm;
    return result(symlinkat(contents.c_str(), p.dir.get(), p.name.c_str()));
}

Errno path_unlink_file(Env& env, const Value* a) {
    ParentRef p;
    if (Errno err = parent_of(env, a[0].i32, rights::path_unlink_file, a[1].i32, a[2].i32, p))
        return err;
    return result(unlinkat(p.dir.get(), p.name.c_str(), 0));
}

} // namespace

const NamedImplementation path_functions[] = {
    {"path_create_directory", path_create_directory},
    {"path_filestat_get", path_filestat_get},
    {"path_filestat_set_times", path_filestat_set_times},
    {"path_link", path_link},
    {"path_open", path_open},
    {"path_readlink", path_readlink},
    {"path_remove_directory", path_remove_directory},
    {"path_rename", path_rename},
    {"path_symlink", path_symlink},
    {"path_unlink_file", path_unlink_file},
};
const size_t path_function_count = std::size(path_functions);

} // namespace wbpf::wasi
