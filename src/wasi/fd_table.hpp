// The guest's file-descriptor table: guest fd number -> host fd plus its WASI rights.
#pragma once

#include "wasi/abi.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wbpf::wasi {

/// One cached directory entry for fd_readdir (the listing is snapshotted at cookie 0).
struct DirEntry {
    std::string name;
    uint64_t ino = 0;
    Filetype type = Filetype::unknown;
};

struct FdEntry {
    int host_fd = -1;
    bool borrowed = false; ///< not closed by us (stdio)
    Filetype type = Filetype::unknown;
    Rights base = 0;
    Rights inheriting = 0;
    std::optional<std::string> preopen_name; ///< set for preopened directories
    std::vector<DirEntry> listing;           ///< fd_readdir snapshot
    bool no_nowait_writes = false; ///< pwritev2(RWF_NOWAIT) is not supported here (fd_write)
};

class FdTable {
public:
    FdTable() = default;
    ~FdTable();
    FdTable(const FdTable&) = delete;
    FdTable& operator=(const FdTable&) = delete;

    FdEntry* find(uint32_t fd) noexcept;
    /// Inserts at the lowest free number; returns it, or nullopt if the table is full.
    std::optional<uint32_t> insert(FdEntry entry);
    /// Inserts at a given number (used for stdio and preopens at setup).
    void insert_at(uint32_t fd, FdEntry entry);
    /// Closes the host fd (unless borrowed) and frees the number. False if `fd` is not open.
    bool close(uint32_t fd) noexcept;
    /// fd_renumber: moves `from` onto `to` (closing `to`). False if either is not open.
    bool renumber(uint32_t from, uint32_t to) noexcept;

    static constexpr size_t max_open = 4096;

private:
    std::map<uint32_t, FdEntry> entries_;
};

/// The filetype of an open host fd (fstat + socket type).
Filetype filetype_of(int host_fd) noexcept;

} // namespace wbpf::wasi
