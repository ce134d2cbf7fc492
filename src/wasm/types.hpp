// Core WebAssembly types: value types, function types, limits and the
// descriptors of tables, memories and globals (Wasm 2.0 core, section 2.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wbpf::wasm {

/// A value type, encoded with its binary-format byte so decoding is a range check.
enum class ValType : uint8_t {
    i32 = 0x7f,
    i64 = 0x7e,
    f32 = 0x7d,
    f64 = 0x7c,
    v128 = 0x7b, ///< decoded only to reject it: SIMD is not supported yet
    funcref = 0x70,
    externref = 0x6f,
};

constexpr bool is_reference(ValType t) noexcept {
    return t == ValType::funcref || t == ValType::externref;
}
constexpr bool is_numeric(ValType t) noexcept {
    return t == ValType::i32 || t == ValType::i64 || t == ValType::f32 || t == ValType::f64;
}

/// The text-format name of a value type ("i32", "funcref", ...), for messages.
std::string_view to_string(ValType t) noexcept;

/// A function signature. Compared structurally (call_indirect, import matching).
struct FuncType {
    std::vector<ValType> params;
    std::vector<ValType> results;

    friend bool operator==(const FuncType&, const FuncType&) = default;
};

/// Size limits of a table (in elements) or a memory (in 64 KiB pages).
struct Limits {
    uint32_t min = 0;
    std::optional<uint32_t> max;

    friend bool operator==(const Limits&, const Limits&) = default;
};

struct TableType {
    ValType element = ValType::funcref; ///< funcref or externref
    Limits limits;
};

struct MemoryType {
    Limits limits; ///< in pages; max page count is 65536 (4 GiB)
};

struct GlobalType {
    ValType type = ValType::i32;
    bool is_mutable = false;
};

/// The four kinds of importable and exportable entities, with their binary codes.
enum class ExternKind : uint8_t { function = 0, table = 1, memory = 2, global = 3 };

std::string_view to_string(ExternKind k) noexcept;

constexpr uint32_t page_size = 65536;
constexpr uint32_t max_pages = 65536;

} // namespace wbpf::wasm
