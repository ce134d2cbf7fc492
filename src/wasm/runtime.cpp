// Runtime entities: tables, linear memories and instance lookups.

#include "runtime.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace wbpf::wasm {

namespace {

constexpr uint32_t grow_failed = static_cast<uint32_t>(-1);

constexpr size_t memory_reservation = MemoryInstance::reservation;

} // namespace

// --- TableInstance ---

TableInstance::TableInstance(TableType table_type, TableElementBudget& budget)
    : type(table_type), budget_(&budget) {
    if (!budget.take(table_type.limits.min))
        throw std::length_error("table elements exceed the store's limit");
    try {
        elements.assign(table_type.limits.min, nullptr);
        native_data = elements.data();
        native_size = elements.size();
    } catch (...) {
        budget.give_back(table_type.limits.min);
        throw;
    }
}

TableInstance::~TableInstance() {
    budget_->give_back(elements.size());
}

uint32_t TableInstance::grow(uint32_t delta, void* init) noexcept {
    const uint32_t old_size = size();
    const uint32_t max = type.limits.max.value_or(UINT32_MAX);
    if (old_size > max || delta > max - old_size) return grow_failed;
    if (!budget_->take(delta)) return grow_failed;
    try {
        elements.resize(size_t{old_size} + delta, init);
        native_data = elements.data();
        native_size = elements.size();
    } catch (const std::bad_alloc&) {
        budget_->give_back(delta);
        return grow_failed;
    }
    return old_size;
}

TableType TableInstance::current_type() const noexcept {
    TableType t = type;
    t.limits.min = size();
    return t;
}

// --- MemoryInstance ---

MemoryInstance::MemoryInstance(MemoryType memory_type, uint32_t max_pages_limit)
    : type(memory_type), max_pages_limit_(max_pages_limit) {
    if (memory_type.limits.min > std::min(max_pages_limit, max_pages)) {
        throw std::length_error("initial memory size exceeds the limit");
    }
    void* base = mmap(nullptr, memory_reservation, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    data = static_cast<uint8_t*>(base);
    reserved_ = memory_reservation;
    if (grow(memory_type.limits.min) == grow_failed) {
        munmap(data, reserved_);
        throw std::bad_alloc();
    }
}

MemoryInstance::~MemoryInstance() {
    if (data) munmap(data, reserved_);
}

uint32_t MemoryInstance::grow(uint32_t delta_pages) noexcept {
    const uint32_t old_pages = pages();
    const uint32_t max =
        std::min({type.limits.max.value_or(max_pages), max_pages_limit_, max_pages});
    if (old_pages > max || delta_pages > max - old_pages) return grow_failed;
    if (delta_pages == 0) return old_pages;
    // Pages beyond `size` were never accessible, so they are still the kernel's zero pages.
    const size_t grow_bytes = size_t{delta_pages} * page_size;
    if (mprotect(data + size, grow_bytes, PROT_READ | PROT_WRITE) != 0) return grow_failed;
    size += grow_bytes;
    return old_pages;
}

MemoryType MemoryInstance::current_type() const noexcept {
    MemoryType t = type;
    t.limits.min = pages();
    return t;
}

std::optional<std::span<uint8_t>> MemoryInstance::span(uint64_t ptr, uint64_t len) noexcept {
    if (ptr > size || len > size - ptr) return std::nullopt;
    return std::span<uint8_t>(data + ptr, static_cast<size_t>(len));
}

std::optional<std::string_view> MemoryInstance::c_string(uint64_t ptr, uint64_t max_len) noexcept {
    if (ptr > size) return std::nullopt;
    // Search at most max_len bytes plus the terminator, without overflowing max_len + 1.
    uint64_t search_len = size - ptr;
    if (max_len < search_len) search_len = max_len + 1;
    const void* nul = std::memchr(data + ptr, 0, static_cast<size_t>(search_len));
    if (!nul) return std::nullopt;
    const char* begin = reinterpret_cast<const char*>(data + ptr);
    return std::string_view(begin, static_cast<size_t>(static_cast<const char*>(nul) - begin));
}

// --- Instance ---

std::optional<Extern> Instance::find_export(std::string_view name) const noexcept {
    for (const Export& e : module->exports) {
        if (e.name != name) continue;
        switch (e.kind) {
        case ExternKind::function: return Extern::of(*functions[e.index]);
        case ExternKind::table: return Extern::of(*tables[e.index]);
        case ExternKind::memory: return Extern::of(*memories[e.index]);
        case ExternKind::global: return Extern::of(*globals[e.index]);
        }
    }
    return std::nullopt;
}

FunctionInstance* Instance::find_function(std::string_view name) const noexcept {
    auto e = find_export(name);
    return e ? e->function() : nullptr;
}

MemoryInstance* Instance::find_memory(std::string_view name) const noexcept {
    auto e = find_export(name);
    return e ? e->memory() : nullptr;
}

GlobalInstance* Instance::find_global(std::string_view name) const noexcept {
    auto e = find_export(name);
    return e ? e->global() : nullptr;
}

TableInstance* Instance::find_table(std::string_view name) const noexcept {
    auto e = find_export(name);
    return e ? e->table() : nullptr;
}

std::span<const uint8_t> Instance::data_segment(uint32_t index) const noexcept {
    if (index >= data_dropped.size() || data_dropped[index]) return {};
    return module->slice(module->datas[index].bytes);
}

} // namespace wbpf::wasm
