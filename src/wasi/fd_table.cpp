#include "wasi/fd_table.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wbpf::wasi {

FdTable::~FdTable() {
    for (auto& [fd, entry] : entries_)
        if (!entry.borrowed && entry.host_fd >= 0) ::close(entry.host_fd);
}

FdEntry* FdTable::find(uint32_t fd) noexcept {
    auto it = entries_.find(fd);
    return it == entries_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> FdTable::insert(FdEntry entry) {
    if (entries_.size() >= max_open) return std::nullopt;
    uint32_t fd = 0;
    for (auto& [used, e] : entries_) {
        if (used != fd) break;
        ++fd;
    }
    entries_.emplace(fd, std::move(entry));
    return fd;
}

void FdTable::insert_at(uint32_t fd, FdEntry entry) {
    close(fd);
    entries_.emplace(fd, std::move(entry));
}

bool FdTable::close(uint32_t fd) noexcept {
    auto it = entries_.find(fd);
    if (it == entries_.end()) return false;
    if (!it->second.borrowed && it->second.host_fd >= 0) ::close(it->second.host_fd);
    entries_.erase(it);
    return true;
}

bool FdTable::renumber(uint32_t from, uint32_t to) noexcept {
    auto src = entries_.find(from);
    if (src == entries_.end() || entries_.find(to) == entries_.end()) return false;
    if (from == to) return true;
    FdEntry moved = std::move(src->second);
    entries_.erase(src);
    close(to);
    entries_.emplace(to, std::move(moved));
    return true;
}

Filetype filetype_of(int host_fd) noexcept {
    struct stat st {};
    if (fstat(host_fd, &st) != 0) return Filetype::unknown;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: return Filetype::regular_file;
    case S_IFDIR: return Filetype::directory;
    case S_IFCHR: return Filetype::character_device;
    case S_IFBLK: return Filetype::block_device;
    case S_IFLNK: return Filetype::symbolic_link;
    case S_IFSOCK: {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return Filetype::unknown;
        return type == SOCK_DGRAM ? Filetype::socket_dgram : Filetype::socket_stream;
    }
    default: return Filetype::unknown;
    }
}

} // namespace wbpf::wasi
