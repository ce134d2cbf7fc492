// The exact WebAssembly 2.0 numeric semantics (core spec section 4.3), as inline functions for
// the interpreter's hot loop. Every function is total and free of undefined behaviour for every
// input: shift counts are taken modulo the bit width, division and float-to-int conversion report
// traps as TrapKind values, and a C++ conversion is only evaluated once its result is known to be
// representable.
//
// Integer values are carried as uint32_t / uint64_t (Wasm integers have no signedness); the
// signed operations reinterpret them as two's complement.
//
// NaN results: Wasm allows any arithmetic NaN (quiet bit set) where an operand is a NaN, and
// requires a canonical NaN (any sign) when no operand is. x86-64 SSE arithmetic gives exactly
// that: it quiets a NaN operand and otherwise produces the default NaN 0xffc00000 /
// 0xfff8000000000000. abs, neg and copysign are bit operations and keep NaN payloads untouched.
// All float functions assume the default rounding mode (round to nearest, ties to even), which the
// engine never changes.
//
// ALWAYS CALL THESE QUALIFIED (`numeric::fmin(a, b)`), never through `using namespace`: glibc
// declares global ::fmin, ::fmax, ::fabs, ::trunc and the narrowing ::fadd, ::fsub, ::fmul,
// ::fdiv, ::fsqrt (double -> float), and an unqualified call with double operands silently
// prefers those non-templates over the templates here.
#pragma once

#include "trap.hpp"

#include <bit>
#include <cfloat>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace wbpf::wasm::numeric {

static_assert(std::endian::native == std::endian::little, "load_le/store_le assume little-endian");
static_assert(FLT_EVAL_METHOD == 0, "float/double arithmetic must not use extended precision");
static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559);

/// The integer representations of Wasm i32 and i64 values.
template <typename T>
concept WasmInt = std::same_as<T, uint32_t> || std::same_as<T, uint64_t>;

/// The C++ types of Wasm f32 and f64 values.
template <typename F>
concept WasmFloat = std::same_as<F, float> || std::same_as<F, double>;

/// The destination types of float-to-int conversions (signed or unsigned interpretation).
template <typename I>
concept WasmConvertibleInt = std::same_as<I, int32_t> || std::same_as<I, uint32_t> ||
    std::same_as<I, int64_t> || std::same_as<I, uint64_t>;

/// The unsigned integer type with the same width as float type F.
template <WasmFloat F>
using FloatBits = std::conditional_t<std::same_as<F, float>, uint32_t, uint64_t>;

// ---------------------------------------------------------------------------------------------
// Reinterpretation and little-endian memory access

/// Bit-for-bit reinterpretation between equally wide types (Wasm's reinterpret instructions).
template <typename To, typename From>
requires(sizeof(To) == sizeof(From)) inline To reinterpret(From value) noexcept {
    return std::bit_cast<To>(value);
}
inline float f32_reinterpret_i32(uint32_t bits) noexcept {
    return std::bit_cast<float>(bits);
}
inline double f64_reinterpret_i64(uint64_t bits) noexcept {
    return std::bit_cast<double>(bits);
}
inline uint32_t i32_reinterpret_f32(float value) noexcept {
    return std::bit_cast<uint32_t>(value);
}
inline uint64_t i64_reinterpret_f64(double value) noexcept {
    return std::bit_cast<uint64_t>(value);
}

/// Reads a T stored little-endian at p (any alignment). The caller has bounds-checked p.
template <typename T>
requires std::is_trivially_copyable_v<T>
inline T load_le(const uint8_t* p) noexcept {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}

/// Writes v little-endian at p (any alignment). The caller has bounds-checked p.
template <typename T>
requires std::is_trivially_copyable_v<T>
inline void store_le(uint8_t* p, T v) noexcept {
    std::memcpy(p, &v, sizeof(T));
}

// ---------------------------------------------------------------------------------------------
// Integer operations. The second operand is not deduced, so `shl(x, 3)` works for either width.

template <WasmInt T>
inline constexpr T shift_mask = std::numeric_limits<T>::digits - 1;

template <WasmInt T>
inline T clz(T a) noexcept {
    return static_cast<T>(std::countl_zero(a));
}
template <WasmInt T>
inline T ctz(T a) noexcept {
    return static_cast<T>(std::countr_zero(a));
}
template <WasmInt T>
inline T popcnt(T a) noexcept {
    return static_cast<T>(std::popcount(a));
}
template <WasmInt T>
inline T rotl(T a, std::type_identity_t<T> count) noexcept {
    return std::rotl(a, static_cast<int>(count & shift_mask<T>));
}
template <WasmInt T>
inline T rotr(T a, std::type_identity_t<T> count) noexcept {
    return std::rotr(a, static_cast<int>(count & shift_mask<T>));
}
template <WasmInt T>
inline T shl(T a, std::type_identity_t<T> count) noexcept {
    return static_cast<T>(a << (count & shift_mask<T>));
}
template <WasmInt T>
inline T shr_u(T a, std::type_identity_t<T> count) noexcept {
    return static_cast<T>(a >> (count & shift_mask<T>));
}
/// Arithmetic shift: C++20 defines >> of a negative signed value as sign-extending.
template <WasmInt T>
inline T shr_s(T a, std::type_identity_t<T> count) noexcept {
    using S = std::make_signed_t<T>;
    return static_cast<T>(static_cast<S>(a) >> (count & shift_mask<T>));
}

/// i32.eqz / i64.eqz: 1 if a is zero, else 0 (always an i32 result).
template <WasmInt T>
inline uint32_t eqz(T a) noexcept {
    return a == 0 ? 1u : 0u;
}

// Sign extension (C++20 integer conversions are modular, so the narrowing casts are exact).
inline uint32_t extend8_s(uint32_t a) noexcept {
    return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(a)));
}
inline uint32_t extend16_s(uint32_t a) noexcept {
    return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(a)));
}
inline uint64_t extend8_s(uint64_t a) noexcept {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(a)));
}
inline uint64_t extend16_s(uint64_t a) noexcept {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(a)));
}
inline uint64_t extend32_s(uint64_t a) noexcept {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a)));
}

/// i64.extend_i32_s, i64.extend_i32_u and i32.wrap_i64.
inline uint64_t extend_i32_s(uint32_t a) noexcept {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a)));
}
inline uint64_t extend_i32_u(uint32_t a) noexcept {
    return a;
}
inline uint32_t wrap_i64(uint64_t a) noexcept {
    return static_cast<uint32_t>(a);
}

// ---------------------------------------------------------------------------------------------
// Division. On a trap `out` is left untouched.

template <WasmInt T>
inline TrapKind div_u(T a, std::type_identity_t<T> b, T& out) noexcept {
    if (b == 0) [[unlikely]]
        return TrapKind::integer_divide_by_zero;
    out = a / b;
    return TrapKind::none;
}

template <WasmInt T>
inline TrapKind rem_u(T a, std::type_identity_t<T> b, T& out) noexcept {
    if (b == 0) [[unlikely]]
        return TrapKind::integer_divide_by_zero;
    out = a % b;
    return TrapKind::none;
}

/// Signed division; INT_MIN / -1 (not representable) traps with integer_overflow.
template <WasmInt T>
inline TrapKind div_s(T a, std::type_identity_t<T> b, T& out) noexcept {
    using S = std::make_signed_t<T>;
    if (b == 0) [[unlikely]]
        return TrapKind::integer_divide_by_zero;
    if (a == (T{1} << shift_mask<T>)&&b == T(-1)) [[unlikely]]
        return TrapKind::integer_overflow;
    out = static_cast<T>(static_cast<S>(a) / static_cast<S>(b));
    return TrapKind::none;
}

/// Signed remainder (sign of the dividend). x rem -1 is 0 for every x, including INT_MIN, where
/// the C++ expression would be undefined.
template <WasmInt T>
inline TrapKind rem_s(T a, std::type_identity_t<T> b, T& out) noexcept {
    using S = std::make_signed_t<T>;
    if (b == 0) [[unlikely]]
        return TrapKind::integer_divide_by_zero;
    out = b == T(-1) ? T{0} : static_cast<T>(static_cast<S>(a) % static_cast<S>(b));
    return TrapKind::none;
}

// ---------------------------------------------------------------------------------------------
// Float operations

template <WasmFloat F>
inline F fadd(F a, F b) noexcept {
    return a + b;
}
template <WasmFloat F>
inline F fsub(F a, F b) noexcept {
    return a - b;
}
template <WasmFloat F>
inline F fmul(F a, F b) noexcept {
    return a * b;
}
template <WasmFloat F>
inline F fdiv(F a, F b) noexcept {
    return a / b;
}

/// Minimum with Wasm semantics: NaN if either operand is NaN, and -0 < +0.
template <WasmFloat F>
inline F fmin(F a, F b) noexcept {
    if (a < b) return a;
    if (b < a) return b;
    if (a == b) // equal values, or +0 and -0: the result is negative if either is
        return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) | std::bit_cast<FloatBits<F>>(b));
    return a + b; // a NaN operand: SSE returns it quieted
}

/// Maximum with Wasm semantics: NaN if either operand is NaN, and -0 < +0.
template <WasmFloat F>
inline F fmax(F a, F b) noexcept {
    if (a > b) return a;
    if (b > a) return b;
    if (a == b) // equal values, or +0 and -0: the result is positive if either is
        return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) & std::bit_cast<FloatBits<F>>(b));
    return a + b;
}

// Rounding to integral values. The C library functions are exact and keep the sign of zero
// (ceil(-0.5) is -0), but g++ inlines them assuming no signaling NaNs and would return an sNaN
// unchanged; Wasm requires a quiet (arithmetic) NaN, which a + a produces.
template <WasmFloat F>
inline F fceil(F a) noexcept {
    if (std::isnan(a)) [[unlikely]]
        return a + a;
    return std::ceil(a);
}
template <WasmFloat F>
inline F ffloor(F a) noexcept {
    if (std::isnan(a)) [[unlikely]]
        return a + a;
    return std::floor(a);
}
template <WasmFloat F>
inline F ftrunc(F a) noexcept {
    if (std::isnan(a)) [[unlikely]]
        return a + a;
    return std::trunc(a);
}
/// Round to nearest, ties to even (nearbyint in the default rounding mode, without raising
/// inexact).
template <WasmFloat F>
inline F fnearest(F a) noexcept {
    if (std::isnan(a)) [[unlikely]]
        return a + a;
    // Adding and subtracting 2^(mantissa bits) rounds to an integer in the default rounding
    // mode; larger magnitudes are integers already. Inline, unlike nearbyint without SSE4.1:
    // wbpf then needs no libm.so at all (start-up time and RSS, docs/PERFORMANCE.md).
    constexpr F two_to_mantissa = sizeof(F) == 4 ? F(0x1p23) : F(0x1p52);
    const F magnitude = std::fabs(a);
    if (!(magnitude < two_to_mantissa)) return a;
    return std::copysign((magnitude + two_to_mantissa) - two_to_mantissa, a);
}
template <WasmFloat F>
inline F fsqrt(F a) noexcept {
    return std::sqrt(a);
}

template <WasmFloat F>
inline constexpr FloatBits<F> sign_bit = FloatBits<F>{1} << (sizeof(F) * 8 - 1);

template <WasmFloat F>
inline F fabs(F a) noexcept {
    return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) & ~sign_bit<F>);
}
template <WasmFloat F>
inline F fneg(F a) noexcept {
    return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) ^ sign_bit<F>);
}
/// The magnitude of a with the sign of b.
template <WasmFloat F>
inline F fcopysign(F a, F b) noexcept {
    const FloatBits<F> bits_a = std::bit_cast<FloatBits<F>>(a);
    const FloatBits<F> bits_b = std::bit_cast<FloatBits<F>>(b);
    return std::bit_cast<F>((bits_a & ~sign_bit<F>) | (bits_b & sign_bit<F>));
}

// ---------------------------------------------------------------------------------------------
// Conversions

namespace detail {

/// 2^n as an F (exact for every n used here: powers of two up to 2^64).
template <WasmFloat F>
consteval F power_of_two(int n) {
    F result = 1;
    for (int i = 0; i < n; ++i)
        result *= 2;
    return result;
}

/// Whether trunc(f) is representable in I: f lies strictly between the largest value of F whose
/// truncation is below I's minimum and 2^(bits of I's maximum). NaN is never in range.
template <WasmConvertibleInt I, WasmFloat F>
inline bool truncates_into(F f) noexcept {
    constexpr F upper = power_of_two<F>(std::numeric_limits<I>::digits); // exclusive
    if constexpr (std::is_unsigned_v<I>) {
        return f > F(-1) && f < upper; // (-1, 0) truncates to 0 ("-0.9 -> 0")
    } else {
        constexpr F min = -upper;
        // min - 1 is exact only when F has enough mantissa bits (f64 -> i32); otherwise no F
        // lies strictly between min - 1 and min, and f >= min is the same test.
        if constexpr (std::numeric_limits<I>::digits < std::numeric_limits<F>::digits)
            return f > min - F(1) && f < upper;
        else
            return f >= min && f < upper;
    }
}

} // namespace detail

/// iNN.trunc_fMM_s/u: truncation toward zero. Traps with invalid_conversion on NaN and
/// integer_overflow when the truncated value is outside I; `out` is untouched on a trap.
template <WasmConvertibleInt I, WasmFloat F>
inline TrapKind trunc(F f, I& out) noexcept {
    if (detail::truncates_into<I>(f)) [[likely]] {
        out = static_cast<I>(f);
        return TrapKind::none;
    }
    return std::isnan(f) ? TrapKind::invalid_conversion : TrapKind::integer_overflow;
}

/// iNN.trunc_sat_fMM_s/u: truncation toward zero, saturating at I's bounds; NaN gives 0.
template <WasmConvertibleInt I, WasmFloat F>
inline I trunc_sat(F f) noexcept {
    if (detail::truncates_into<I>(f)) [[likely]]
        return static_cast<I>(f);
    if (std::isnan(f)) return 0;
    return f < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
}

/// fNN.convert_iMM_s/u: correctly rounded (ties to even). The conversion is a single hardware
/// rounding for every pair; for u64 -> f32/f64 g++ and clang halve the value with a sticky low
/// bit, which still rounds once. (Going through double first would round twice and be wrong
/// for i64/u64 -> f32, e.g. 0x8000008000000001.)
template <WasmFloat F, WasmConvertibleInt I>
inline F convert(I i) noexcept {
    return static_cast<F>(i);
}

/// f32.demote_f64: correctly rounded; a NaN stays a NaN (quieted, payload truncated).
inline float demote(double d) noexcept {
    return static_cast<float>(d);
}

/// f64.promote_f32: exact; a NaN stays a NaN (quieted, payload extended).
inline double promote(float f) noexcept {
    return static_cast<double>(f);
}

} // namespace wbpf::wasm::numeric
