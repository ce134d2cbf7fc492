#include "bpf/kernel_fs.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/mount.h>
#include <sys/vfs.h>

namespace wbpf::bpf {
namespace {

constexpr long tracefs_magic = 0x74726163;
constexpr long debugfs_magic = 0x64626720;

void ensure_mounted(const char* path, const char* fs_type, long magic, bool verbose) {
    struct statfs info {};
    if (statfs(path, &info) == 0 && static_cast<long>(info.f_type) == magic) return;
    if (mount(fs_type, path, fs_type, 0, nullptr) != 0 && verbose)
        std::fprintf(stderr, "wbpf: cannot mount %s at %s: %s\n", fs_type, path,
                     std::strerror(errno));
}

} // namespace

void ensure_tracing_filesystems(bool verbose) {
    static bool done = false; // one guest per process; mounts are process-independent anyway
    if (done) return;
    done = true;
    ensure_mounted("/sys/kernel/debug", "debugfs", debugfs_magic, verbose);
    ensure_mounted("/sys/kernel/tracing", "tracefs", tracefs_magic, verbose);
}

} // namespace wbpf::bpf
