// Runtime entities of the store: function, table, memory and global instances, and module
// instances that tie them together (Wasm 2.0 core, section 4.2).
//
// Entities are owned by a Store and have stable addresses for the Store's lifetime, so the
// interpreter and host code hold plain pointers to them. Fields read on the interpreter's hot
// path (MemoryInstance::data/size, GlobalInstance::value, TableInstance::elements) are public.
#pragma once

#include "module.hpp"
#include "trap.hpp"
#include "types.hpp"
#include "value.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace wbpf::wasm {

class Store;
class Instance;
struct HostCall;

/// A host function: reads `args`, writes `results` (both sized by the function type) and
/// returns TrapKind::none, or a trap to stop the guest. It may call back into the guest
/// through call.store (re-entrantly) and must propagate a trap that call returns.
using HostFunctionCallback = TrapKind (*)(HostCall& call, const Value* args, Value* results);

struct FunctionInstance {
    const FuncType* type = nullptr; ///< canonical type, owned by the Store's type registry
    uint32_t type_id = 0;           ///< Store-wide canonical type id (equal types, equal ids)
    Instance* instance = nullptr;   ///< defining instance; nullptr for host functions
    uint32_t index = 0;             ///< function index in the defining module
    const CompiledFunction* code = nullptr; ///< internal code; nullptr for host functions
    HostFunctionCallback host = nullptr;
    void* host_context = nullptr;

    bool is_host() const noexcept { return host != nullptr; }
};

/// The element count all tables of one store may hold together. Each table draws its elements
/// from it, so a module cannot multiply the store's limit by declaring many tables.
class TableElementBudget {
public:
    explicit TableElementBudget(uint64_t limit) noexcept : limit_(limit) {}
    /// Takes `count` elements; false (and nothing taken) if fewer than that are left.
    bool take(uint64_t count) noexcept {
        if (count > limit_ - used_) return false;
        used_ += count;
        return true;
    }
    void give_back(uint64_t count) noexcept { used_ -= count; }
    uint64_t available() const noexcept { return limit_ - used_; }
    uint64_t limit() const noexcept { return limit_; }

private:
    uint64_t limit_;
    uint64_t used_ = 0;
};

class TableInstance {
public:
    /// Takes `type.limits.min` elements from `budget`, which must outlive the table; throws
    /// std::length_error if the budget does not have them.
    TableInstance(TableType type, TableElementBudget& budget);
    ~TableInstance();
    TableInstance(const TableInstance&) = delete;
    TableInstance& operator=(const TableInstance&) = delete;

    /// Grows by `delta` entries set to `init`; returns the old size, or -1 (as uint32) when the
    /// table's maximum or the store's element budget would be exceeded.
    uint32_t grow(uint32_t delta, void* init) noexcept;
    uint32_t size() const noexcept { return static_cast<uint32_t>(elements.size()); }
    /// The type with `limits.min` equal to the current size (for import matching).
    TableType current_type() const noexcept;

    TableType type;
    std::vector<void*> elements; ///< FunctionInstance* for funcref tables; nullptr is null
    /// elements.data() and elements.size() for native code (jit.cpp, call_indirect), which
    /// reads them directly. Kept current by the constructor and grow(), the only places that
    /// resize `elements`.
    void* const* native_data = nullptr;
    uint64_t native_size = 0;

private:
    TableElementBudget* budget_;
};

/// A linear memory. The whole 4 GiB addressable range plus guard space is reserved up front
/// (PROT_NONE, no RSS), and pages are made accessible as the memory grows, so `data` never
/// moves and growing never copies.
class MemoryInstance {
public:
    /// Throws std::bad_alloc if the address space cannot be reserved.
    MemoryInstance(MemoryType type, uint32_t max_pages_limit);
    ~MemoryInstance();
    MemoryInstance(const MemoryInstance&) = delete;
    MemoryInstance& operator=(const MemoryInstance&) = delete;

    /// Grows by `delta` pages; returns the old page count, or -1 (as uint32) on failure
    /// (beyond the declared maximum, the store's limit, or out of host memory).
    uint32_t grow(uint32_t delta_pages) noexcept;
    uint32_t pages() const noexcept { return static_cast<uint32_t>(size >> 16); }
    MemoryType current_type() const noexcept;

    // --- Bounds-checked access for host code. Guest pointers are never trusted: every helper
    // --- returns an empty result (never traps, never touches memory) when out of bounds.

    /// The host view of guest bytes [ptr, ptr + len), or an empty optional if out of bounds.
    std::optional<std::span<uint8_t>> span(uint64_t ptr, uint64_t len) noexcept;
    /// A NUL-terminated string starting at `ptr`, at most `max_len` bytes before the NUL;
    /// empty optional if it runs out of bounds or exceeds max_len.
    std::optional<std::string_view> c_string(uint64_t ptr, uint64_t max_len) noexcept;
    /// Copies a trivially-copyable T (little-endian, unaligned) from/to guest memory.
    template <typename T>
    bool load(uint64_t ptr, T& out) noexcept;
    template <typename T>
    bool store(uint64_t ptr, const T& in) noexcept;

    /// Address space reserved per memory from `data`: every i32 address plus every u32
    /// static offset (< 8 GiB) plus one guard page for the widest access. Beyond `size` it
    /// is PROT_NONE, so the interpreter may let an out-of-bounds access fault instead of
    /// comparing (guard-page bounds checks, docs/ENGINE.md).
    static constexpr size_t reservation = (size_t{8} << 30) + page_size;

    MemoryType type;
    uint8_t* data = nullptr; ///< base of the guest's address space
    uint64_t size = 0;       ///< current size in bytes (pages * 65536)

private:
    size_t reserved_ = 0;
    uint32_t max_pages_limit_;
};

struct GlobalInstance {
    GlobalType type;
    Value value;
};

/// Any importable/exportable entity: the pointer's type is given by `kind`.
struct Extern {
    ExternKind kind = ExternKind::function;
    void* entity = nullptr;

    static Extern of(FunctionInstance& f) noexcept { return {ExternKind::function, &f}; }
    static Extern of(TableInstance& t) noexcept { return {ExternKind::table, &t}; }
    static Extern of(MemoryInstance& m) noexcept { return {ExternKind::memory, &m}; }
    static Extern of(GlobalInstance& g) noexcept { return {ExternKind::global, &g}; }
    FunctionInstance* function() const noexcept {
        return kind == ExternKind::function ? static_cast<FunctionInstance*>(entity) : nullptr;
    }
    TableInstance* table() const noexcept {
        return kind == ExternKind::table ? static_cast<TableInstance*>(entity) : nullptr;
    }
    MemoryInstance* memory() const noexcept {
        return kind == ExternKind::memory ? static_cast<MemoryInstance*>(entity) : nullptr;
    }
    GlobalInstance* global() const noexcept {
        return kind == ExternKind::global ? static_cast<GlobalInstance*>(entity) : nullptr;
    }
};

/// A module instance: the module plus the addresses of everything it uses, in index order
/// (imports first). Created only by Store::instantiate.
class Instance {
public:
    std::shared_ptr<const Module> module;
    Store* store = nullptr;

    std::vector<FunctionInstance*> functions;
    std::vector<TableInstance*> tables;
    std::vector<MemoryInstance*> memories;
    std::vector<GlobalInstance*> globals;
    /// Canonical Store type id of each of the module's type indices (for call_indirect).
    std::vector<uint32_t> type_ids;
    /// Element segments as resolved references; cleared by elem.drop (and for active and
    /// declarative segments after instantiation).
    std::vector<std::vector<void*>> element_segments;
    /// Per data segment: true once dropped (by data.drop, or active segments after
    /// instantiation); a dropped segment behaves as empty.
    std::vector<bool> data_dropped;
    /// Calls and loop iterations the interpreter may still run in this instance before its
    /// module is translated to native code (JitMode::when_hot); see interpreter.cpp.
    uint32_t native_countdown = 20000;

    std::optional<Extern> find_export(std::string_view name) const noexcept;
    FunctionInstance* find_function(std::string_view name) const noexcept;
    MemoryInstance* find_memory(std::string_view name) const noexcept;
    GlobalInstance* find_global(std::string_view name) const noexcept;
    TableInstance* find_table(std::string_view name) const noexcept;

    /// Memory 0, or nullptr if the module has none (what host functions use).
    MemoryInstance* memory() const noexcept { return memories.empty() ? nullptr : memories[0]; }
    /// The bytes of data segment `index` (empty once dropped).
    std::span<const uint8_t> data_segment(uint32_t index) const noexcept;
};

// --- template implementations ---

template <typename T>
bool MemoryInstance::load(uint64_t ptr, T& out) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (ptr > size || sizeof(T) > size - ptr) return false;
    std::memcpy(&out, data + ptr, sizeof(T));
    return true;
}

template <typename T>
bool MemoryInstance::store(uint64_t ptr, const T& in) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (ptr > size || sizeof(T) > size - ptr) return false;
    std::memcpy(data + ptr, &in, sizeof(T));
    return true;
}

} // namespace wbpf::wasm
