// The untyped 64-bit value cell used everywhere a Wasm value is stored:
// operand-stack slots, locals, globals, host-call arguments and results.
#pragma once

#include <cstdint>
#include <cstring>

namespace wbpf::wasm {

struct FunctionInstance;

/// One Wasm value without its type (the type is always known statically).
/// i32 values live in the low 32 bits; the high bits of an i32 cell are unspecified.
/// References are pointers: funcref is a FunctionInstance*, externref an opaque host
/// pointer; the null reference of either is nullptr.
union Value {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    void* ref;

    constexpr Value() noexcept : i64{0} {}
    constexpr Value(uint32_t v) noexcept : i64{v} {}
    constexpr Value(int32_t v) noexcept : i64{static_cast<uint32_t>(v)} {}
    constexpr Value(uint64_t v) noexcept : i64{v} {}
    constexpr Value(int64_t v) noexcept : i64{static_cast<uint64_t>(v)} {}
    constexpr Value(float v) noexcept : i64{0} { f32 = v; }
    constexpr Value(double v) noexcept : f64{v} {}
    constexpr Value(void* p) noexcept : i64{0} { ref = p; }

    static Value from_f32_bits(uint32_t bits) noexcept { return Value{bits}; }
    static Value from_f64_bits(uint64_t bits) noexcept { return Value{bits}; }
    uint32_t f32_bits() const noexcept { return i32; }
    uint64_t f64_bits() const noexcept { return i64; }
};
static_assert(sizeof(Value) == 8);

} // namespace wbpf::wasm
