// Unit tests of src/wasm/numeric.hpp: hand-picked boundary cases, property tests against
// independent reference implementations, and (when the spec suite is present) every
// assert_return / assert_trap of the spec's single-instruction numeric tests.
#include "wasm/numeric.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

namespace {

namespace num = wbpf::wasm::numeric;
using wbpf::wasm::TrapKind;

// Values pass through a volatile so the compiler cannot constant-fold the operations under
// test: the interpreter always computes at run time.
template <typename T>
T opaque(T v) {
    volatile T copy = v;
    return copy;
}

float f32(uint32_t bits) {
    return opaque(std::bit_cast<float>(bits));
}
double f64(uint64_t bits) {
    return opaque(std::bit_cast<double>(bits));
}
uint32_t bits(float f) {
    return std::bit_cast<uint32_t>(f);
}
uint64_t bits(double d) {
    return std::bit_cast<uint64_t>(d);
}

/// All exponent bits and the quiet bit: the canonical NaN without its sign.
template <typename F>
constexpr num::FloatBits<F> canonical_nan_bits =
    num::FloatBits<F>{std::same_as<F, float> ? 0x7fc00000u : 0x7ff8000000000000u};

template <typename F>
bool is_canonical_nan(F f) {
    return (bits(f) & ~num::sign_bit<F>) == canonical_nan_bits<F>;
}

template <typename F>
bool is_arithmetic_nan(F f) {
    return (bits(f) & canonical_nan_bits<F>) == canonical_nan_bits<F>;
}

constexpr uint32_t i32_min = 0x80000000u;
constexpr uint64_t i64_min = 0x8000000000000000u;
constexpr uint32_t f32_snan = 0x7fa00000u; // signaling: quiet bit clear, payload non-zero
constexpr uint64_t f64_snan = 0x7ff4000000000000u;

// ---------------------------------------------------------------------------------------------
// Integer operations

TEST(NumericInt, CountLeadingTrailingAndPopulation) {
    EXPECT_EQ(num::clz(opaque(0u)), 32u);
    EXPECT_EQ(num::clz(opaque(1u)), 31u);
    EXPECT_EQ(num::clz(opaque(i32_min)), 0u);
    EXPECT_EQ(num::clz(opaque(0x00008000u)), 16u);
    EXPECT_EQ(num::clz(opaque(uint64_t{0})), 64u);
    EXPECT_EQ(num::clz(opaque(uint64_t{1})), 63u);
    EXPECT_EQ(num::clz(opaque(i64_min)), 0u);

    EXPECT_EQ(num::ctz(opaque(0u)), 32u);
    EXPECT_EQ(num::ctz(opaque(i32_min)), 31u);
    EXPECT_EQ(num::ctz(opaque(0x00010000u)), 16u);
    EXPECT_EQ(num::ctz(opaque(uint64_t{0})), 64u);
    EXPECT_EQ(num::ctz(opaque(i64_min)), 63u);

    EXPECT_EQ(num::popcnt(opaque(0u)), 0u);
    EXPECT_EQ(num::popcnt(opaque(0xffffffffu)), 32u);
    EXPECT_EQ(num::popcnt(opaque(0xaaaaaaaau)), 16u);
    EXPECT_EQ(num::popcnt(opaque(~uint64_t{0})), 64u);
    EXPECT_EQ(num::popcnt(opaque(uint64_t{0x8000800080008000})), 4u);
}

TEST(NumericInt, ShiftCountsAreTakenModuloTheWidth) {
    EXPECT_EQ(num::shl(opaque(1u), 31u), i32_min);
    EXPECT_EQ(num::shl(opaque(1u), 32u), 1u);
    EXPECT_EQ(num::shl(opaque(1u), 33u), 2u);
    EXPECT_EQ(num::shl(opaque(1u), 0xffffffffu), i32_min);
    EXPECT_EQ(num::shr_u(opaque(i32_min), 31u), 1u);
    EXPECT_EQ(num::shr_u(opaque(i32_min), 32u), i32_min);
    EXPECT_EQ(num::shr_s(opaque(i32_min), 31u), 0xffffffffu);
    EXPECT_EQ(num::shr_s(opaque(i32_min), 32u), i32_min);
    EXPECT_EQ(num::shr_s(opaque(0x7fffffffu), 0xffffffffu), 0u);
    EXPECT_EQ(num::shr_s(opaque(0xfffffff0u), 2u), 0xfffffffcu);

    EXPECT_EQ(num::shl(opaque(uint64_t{1}), 63u), i64_min);
    EXPECT_EQ(num::shl(opaque(uint64_t{1}), 64u), 1u);
    EXPECT_EQ(num::shl(opaque(uint64_t{1}), ~uint64_t{0}), i64_min);
    EXPECT_EQ(num::shr_u(opaque(i64_min), 63u), 1u);
    EXPECT_EQ(num::shr_u(opaque(i64_min), 64u), i64_min);
    EXPECT_EQ(num::shr_s(opaque(i64_min), 63u), ~uint64_t{0});
    EXPECT_EQ(num::shr_s(opaque(i64_min), 0x8000000000000040u), i64_min);
}

TEST(NumericInt, RotationsAreTakenModuloTheWidth) {
    EXPECT_EQ(num::rotl(opaque(0xabcd9876u), 1u), 0x579b30edu);
    EXPECT_EQ(num::rotl(opaque(0xabcd9876u), 33u), 0x579b30edu);
    EXPECT_EQ(num::rotl(opaque(0xabcd9876u), 32u), 0xabcd9876u);
    EXPECT_EQ(num::rotl(opaque(0x80000000u), 0xffffffffu), 0x40000000u);
    EXPECT_EQ(num::rotr(opaque(0xb0c1d2e3u), 5u), 0x1d860e97u);
    EXPECT_EQ(num::rotr(opaque(0xb0c1d2e3u), 0xff05u), 0x1d860e97u);
    EXPECT_EQ(num::rotr(opaque(1u), 0xffffffffu), 2u);

    EXPECT_EQ(num::rotl(opaque(uint64_t{0xabd1234ef567809c}), 63u), 0x55e891a77ab3c04eu);
    EXPECT_EQ(num::rotl(opaque(uint64_t{0xabd1234ef567809c}), 127u), 0x55e891a77ab3c04eu);
    EXPECT_EQ(num::rotr(opaque(uint64_t{1}), 64u), 1u);
    EXPECT_EQ(num::rotr(opaque(uint64_t{1}), ~uint64_t{0}), 2u);
}

TEST(NumericInt, SignExtensionAndEqz) {
    EXPECT_EQ(num::extend8_s(opaque(0x7fu)), 0x7fu);
    EXPECT_EQ(num::extend8_s(opaque(0x80u)), 0xffffff80u);
    EXPECT_EQ(num::extend8_s(opaque(0x12345680u)), 0xffffff80u);
    EXPECT_EQ(num::extend8_s(opaque(0xfedcba7fu)), 0x7fu);
    EXPECT_EQ(num::extend16_s(opaque(0x7fffu)), 0x7fffu);
    EXPECT_EQ(num::extend16_s(opaque(0x8000u)), 0xffff8000u);
    EXPECT_EQ(num::extend16_s(opaque(0xfedc7fffu)), 0x7fffu);

    EXPECT_EQ(num::extend8_s(opaque(uint64_t{0x0123456789abcd80})), 0xffffffffffffff80u);
    EXPECT_EQ(num::extend8_s(opaque(uint64_t{0xfedcba987654327f})), 0x7fu);
    EXPECT_EQ(num::extend16_s(opaque(uint64_t{0x0123456789ab8000})), 0xffffffffffff8000u);
    EXPECT_EQ(num::extend16_s(opaque(uint64_t{0xfedcba9876547fff})), 0x7fffu);
    EXPECT_EQ(num::extend32_s(opaque(uint64_t{0x0123456780000000})), 0xffffffff80000000u);
    EXPECT_EQ(num::extend32_s(opaque(uint64_t{0xfedcba987fffffff})), 0x7fffffffu);
    EXPECT_EQ(num::extend32_s(opaque(uint64_t{0xffffffff00000000})), 0u);

    EXPECT_EQ(num::extend_i32_s(opaque(i32_min)), 0xffffffff80000000u);
    EXPECT_EQ(num::extend_i32_u(opaque(i32_min)), 0x80000000u);
    EXPECT_EQ(num::wrap_i64(opaque(uint64_t{0xfedcba9876543210})), 0x76543210u);

    EXPECT_EQ(num::eqz(opaque(0u)), 1u);
    EXPECT_EQ(num::eqz(opaque(i32_min)), 0u);
    EXPECT_EQ(num::eqz(opaque(uint64_t{0})), 1u);
    EXPECT_EQ(num::eqz(opaque(uint64_t{1} << 32)), 0u); // no truncation to 32 bits
}

// ---------------------------------------------------------------------------------------------
// Division

template <typename T>
struct DivisionOutcome {
    TrapKind trap;
    T value;
    friend bool operator==(const DivisionOutcome&, const DivisionOutcome&) = default;
};

constexpr uint32_t untouched32 = 0xdeadbeefu;
constexpr uint64_t untouched64 = 0xdeadbeefcafef00du;

template <typename T>
using DivisionFn = TrapKind (*)(T, std::type_identity_t<T>, T&) noexcept;

template <typename T>
DivisionOutcome<T> divide(DivisionFn<T> fn, T a, T b) {
    T out = sizeof(T) == 4 ? T(untouched32) : T(untouched64);
    const TrapKind trap = fn(opaque(a), opaque(b), out);
    return {trap, out};
}

TEST(NumericDivision, I32BoundariesAndTraps) {
    using D = DivisionOutcome<uint32_t>;
    const auto div_s = num::div_s<uint32_t>;
    const auto div_u = num::div_u<uint32_t>;
    const auto rem_s = num::rem_s<uint32_t>;
    const auto rem_u = num::rem_u<uint32_t>;
    constexpr TrapKind by_zero = TrapKind::integer_divide_by_zero;
    constexpr TrapKind none = TrapKind::none;

    EXPECT_EQ(divide(div_s, i32_min, 0xffffffffu), (D{TrapKind::integer_overflow, untouched32}));
    EXPECT_EQ(divide(div_s, i32_min, 0u), (D{by_zero, untouched32})); // zero wins over overflow
    EXPECT_EQ(divide(div_s, 1u, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(div_s, 0u, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(div_s, i32_min, 1u), (D{none, i32_min}));
    EXPECT_EQ(divide(div_s, i32_min + 1, 0xffffffffu), (D{none, 0x7fffffffu}));
    EXPECT_EQ(divide(div_s, 0xffffffffu, 0xffffffffu), (D{none, 1u}));
    EXPECT_EQ(divide(div_s, i32_min, 2u), (D{none, 0xc0000000u}));
    EXPECT_EQ(divide(div_s, uint32_t(-7), 2u), (D{none, uint32_t(-3)})); // toward zero
    EXPECT_EQ(divide(div_s, 7u, uint32_t(-2)), (D{none, uint32_t(-3)}));
    EXPECT_EQ(divide(div_s, uint32_t(-7), uint32_t(-2)), (D{none, 3u}));

    EXPECT_EQ(divide(div_u, 1u, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(div_u, i32_min, 0xffffffffu), (D{none, 0u}));
    EXPECT_EQ(divide(div_u, 0xffffffffu, 2u), (D{none, 0x7fffffffu}));
    EXPECT_EQ(divide(div_u, uint32_t(-7), 2u), (D{none, 0x7ffffffcu}));

    EXPECT_EQ(divide(rem_s, i32_min, 0xffffffffu), (D{none, 0u})); // no trap, remainder 0
    EXPECT_EQ(divide(rem_s, 0x7fffffffu, 0xffffffffu), (D{none, 0u}));
    EXPECT_EQ(divide(rem_s, 1u, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(rem_s, i32_min, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(rem_s, i32_min, 2u), (D{none, 0u}));
    EXPECT_EQ(divide(rem_s, uint32_t(-7), 2u), (D{none, uint32_t(-1)})); // sign of dividend
    EXPECT_EQ(divide(rem_s, 7u, uint32_t(-2)), (D{none, 1u}));
    EXPECT_EQ(divide(rem_s, uint32_t(-7), uint32_t(-2)), (D{none, uint32_t(-1)}));

    EXPECT_EQ(divide(rem_u, 1u, 0u), (D{by_zero, untouched32}));
    EXPECT_EQ(divide(rem_u, i32_min, 0xffffffffu), (D{none, i32_min}));
    EXPECT_EQ(divide(rem_u, uint32_t(-7), 2u), (D{none, 1u}));
}

TEST(NumericDivision, I64BoundariesAndTraps) {
    using D = DivisionOutcome<uint64_t>;
    const auto div_s = num::div_s<uint64_t>;
    const auto div_u = num::div_u<uint64_t>;
    const auto rem_s = num::rem_s<uint64_t>;
    const auto rem_u = num::rem_u<uint64_t>;
    constexpr uint64_t minus_one = ~uint64_t{0};
    constexpr TrapKind by_zero = TrapKind::integer_divide_by_zero;
    constexpr TrapKind none = TrapKind::none;

    EXPECT_EQ(divide(div_s, i64_min, minus_one), (D{TrapKind::integer_overflow, untouched64}));
    EXPECT_EQ(divide(div_s, i64_min, uint64_t{0}), (D{by_zero, untouched64}));
    EXPECT_EQ(divide(div_s, i64_min, uint64_t{1}), (D{none, i64_min}));
    EXPECT_EQ(divide(div_s, i64_min + 1, minus_one), (D{none, 0x7fffffffffffffffu}));
    // Only the 64-bit minimum overflows: the 32-bit one is an ordinary i64.
    EXPECT_EQ(divide(div_s, uint64_t{0xffffffff80000000}, minus_one), (D{none, 0x80000000u}));
    EXPECT_EQ(divide(div_s, uint64_t(-7), uint64_t{2}), (D{none, uint64_t(-3)}));

    EXPECT_EQ(divide(div_u, uint64_t{1}, uint64_t{0}), (D{by_zero, untouched64}));
    EXPECT_EQ(divide(div_u, i64_min, minus_one), (D{none, 0u}));
    EXPECT_EQ(divide(div_u, minus_one, uint64_t{2}), (D{none, 0x7fffffffffffffffu}));

    EXPECT_EQ(divide(rem_s, i64_min, minus_one), (D{none, 0u}));
    EXPECT_EQ(divide(rem_s, i64_min, uint64_t{0}), (D{by_zero, untouched64}));
    EXPECT_EQ(divide(rem_s, uint64_t(-7), uint64_t{2}), (D{none, minus_one}));
    EXPECT_EQ(divide(rem_s, uint64_t{7}, uint64_t(-2)), (D{none, 1u}));

    EXPECT_EQ(divide(rem_u, uint64_t{1}, uint64_t{0}), (D{by_zero, untouched64}));
    EXPECT_EQ(divide(rem_u, i64_min, minus_one), (D{none, i64_min}));
    EXPECT_EQ(divide(rem_u, uint64_t(-7), uint64_t{2}), (D{none, 1u}));
}

// ---------------------------------------------------------------------------------------------
// Float operations

TEST(NumericFloat, MinMaxOrderSignedZeros) {
    EXPECT_EQ(bits(num::fmin(opaque(0.0f), opaque(-0.0f))), 0x80000000u);
    EXPECT_EQ(bits(num::fmin(opaque(-0.0f), opaque(0.0f))), 0x80000000u);
    EXPECT_EQ(bits(num::fmax(opaque(0.0f), opaque(-0.0f))), 0u);
    EXPECT_EQ(bits(num::fmax(opaque(-0.0f), opaque(0.0f))), 0u);
    EXPECT_EQ(bits(num::fmin(opaque(-0.0f), opaque(-0.0f))), 0x80000000u);
    EXPECT_EQ(bits(num::fmax(opaque(-0.0f), opaque(-0.0f))), 0x80000000u);
    EXPECT_EQ(bits(num::fmin(opaque(0.0), opaque(-0.0))), 0x8000000000000000u);
    EXPECT_EQ(bits(num::fmax(opaque(-0.0), opaque(0.0))), 0u);

    constexpr float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(num::fmin(opaque(-inf), opaque(1.0f)), -inf);
    EXPECT_EQ(num::fmax(opaque(-inf), opaque(1.0f)), 1.0f);
    EXPECT_EQ(num::fmax(opaque(inf), opaque(inf)), inf);
    EXPECT_EQ(num::fmin(opaque(2.0), opaque(-3.0)), -3.0);
    EXPECT_EQ(num::fmax(opaque(2.0), opaque(-3.0)), 2.0);
    EXPECT_EQ(num::fmin(opaque(1e-45f), opaque(0.0f)), 0.0f); // denormals compare normally
}

TEST(NumericFloat, MinMaxReturnQuietNaNWhenEitherOperandIsNaN) {
    const float canonical = f32(0x7fc00000);
    const float negative_canonical = f32(0xffc00000);
    const float quiet_payload = f32(0x7fc12345);
    const float signaling = f32(f32_snan);
    for (float other : {0.0f, -0.0f, 1.0f, -std::numeric_limits<float>::infinity()}) {
        for (float nan : {canonical, negative_canonical}) {
            EXPECT_TRUE(is_canonical_nan(num::fmin(nan, opaque(other))));
            EXPECT_TRUE(is_canonical_nan(num::fmin(opaque(other), nan)));
            EXPECT_TRUE(is_canonical_nan(num::fmax(nan, opaque(other))));
            EXPECT_TRUE(is_canonical_nan(num::fmax(opaque(other), nan)));
        }
        for (float nan : {quiet_payload, signaling}) {
            EXPECT_TRUE(is_arithmetic_nan(num::fmin(nan, opaque(other))));
            EXPECT_TRUE(is_arithmetic_nan(num::fmin(opaque(other), nan)));
            EXPECT_TRUE(is_arithmetic_nan(num::fmax(nan, opaque(other))));
            EXPECT_TRUE(is_arithmetic_nan(num::fmax(opaque(other), nan)));
        }
    }
    EXPECT_TRUE(is_arithmetic_nan(num::fmin(signaling, signaling)));
    EXPECT_TRUE(is_canonical_nan(num::fmax(canonical, negative_canonical)));
    EXPECT_TRUE(is_arithmetic_nan(num::fmin(f64(f64_snan), opaque(1.0))));
    EXPECT_TRUE(is_arithmetic_nan(num::fmax(opaque(-0.0), f64(f64_snan))));
    EXPECT_TRUE(is_canonical_nan(num::fmax(f64(0xfff8000000000000), opaque(0.0))));
}

TEST(NumericFloat, NearestRoundsHalfToEven) {
    struct Case {
        float in, out;
    };
    for (auto [in, out] :
         {Case{0.5f, 0.0f}, Case{1.5f, 2.0f}, Case{2.5f, 2.0f}, Case{3.5f, 4.0f},
          Case{-0.5f, -0.0f}, Case{-1.5f, -2.0f}, Case{-2.5f, -2.0f}, Case{0.49999997f, 0.0f},
          Case{0.50000006f, 1.0f}, Case{4194303.5f, 4194304.0f}, Case{4194302.5f, 4194302.0f},
          Case{8388607.0f, 8388607.0f}, Case{8388609.0f, 8388609.0f}, Case{-0.0f, -0.0f},
          Case{1e-45f, 0.0f}, Case{-1e-45f, -0.0f}}) {
        EXPECT_EQ(bits(num::fnearest(opaque(in))), bits(out)) << in;
    }
    EXPECT_EQ(num::fnearest(opaque(0.49999999999999994)), 0.0); // naive floor(x + 0.5) gives 1
    EXPECT_EQ(num::fnearest(opaque(4503599627370495.5)), 4503599627370496.0);
    EXPECT_EQ(num::fnearest(opaque(4503599627370494.5)), 4503599627370494.0);
    EXPECT_EQ(num::fnearest(opaque(4503599627370497.0)), 4503599627370497.0);
    EXPECT_EQ(bits(num::fnearest(opaque(-0.5))), bits(-0.0));
    constexpr double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(num::fnearest(opaque(-inf)), -inf);
}

TEST(NumericFloat, CeilFloorTruncKeepSignOfZero) {
    EXPECT_EQ(bits(num::fceil(opaque(-0.5f))), 0x80000000u);
    EXPECT_EQ(bits(num::fceil(opaque(-0.0f))), 0x80000000u);
    EXPECT_EQ(num::fceil(opaque(0.5f)), 1.0f);
    EXPECT_EQ(num::fceil(opaque(1e-45f)), 1.0f);
    EXPECT_EQ(num::fceil(opaque(-1.5f)), -1.0f);
    EXPECT_EQ(num::fceil(opaque(8388607.5f)), 8388608.0f);
    EXPECT_EQ(num::ffloor(opaque(-0.5f)), -1.0f);
    EXPECT_EQ(bits(num::ffloor(opaque(-0.0f))), 0x80000000u);
    EXPECT_EQ(num::ffloor(opaque(0.5f)), 0.0f);
    EXPECT_EQ(num::ffloor(opaque(-1e-45f)), -1.0f);
    EXPECT_EQ(num::ffloor(opaque(-8388607.5f)), -8388608.0f);
    EXPECT_EQ(bits(num::ftrunc(opaque(-0.9f))), 0x80000000u);
    EXPECT_EQ(num::ftrunc(opaque(1.9f)), 1.0f);
    EXPECT_EQ(num::ftrunc(opaque(-1.9f)), -1.0f);

    EXPECT_EQ(bits(num::fceil(opaque(-0.5))), 0x8000000000000000u);
    EXPECT_EQ(num::fceil(opaque(4503599627370495.5)), 4503599627370496.0);
    EXPECT_EQ(num::ffloor(opaque(-4503599627370495.5)), -4503599627370496.0);
    EXPECT_EQ(bits(num::ftrunc(opaque(-0.5))), 0x8000000000000000u);
    EXPECT_EQ(num::ftrunc(opaque(-4503599627370495.5)), -4503599627370495.0);
}

TEST(NumericFloat, RoundingAndSqrtQuietEveryNaN) {
    for (uint32_t nan_bits : {0x7fc00000u, 0xffc00000u, 0x7fa00000u, 0xff800001u, 0x7fffffffu}) {
        const float nan = f32(nan_bits);
        EXPECT_TRUE(is_arithmetic_nan(num::fceil(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::ffloor(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::ftrunc(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::fnearest(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::fsqrt(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::fadd(nan, opaque(1.0f)))) << std::hex << nan_bits;
    }
    for (uint64_t nan_bits : {0x7ff8000000000000u, f64_snan, 0xfff0000000000001u}) {
        const double nan = f64(nan_bits);
        EXPECT_TRUE(is_arithmetic_nan(num::fceil(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::ffloor(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::ftrunc(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::fnearest(nan))) << std::hex << nan_bits;
        EXPECT_TRUE(is_arithmetic_nan(num::fsqrt(nan))) << std::hex << nan_bits;
    }
    // Operations on non-NaN operands that produce a NaN must produce a canonical one.
    constexpr float inf = std::numeric_limits<float>::infinity();
    EXPECT_TRUE(is_canonical_nan(num::fsqrt(opaque(-1.0f))));
    EXPECT_TRUE(is_canonical_nan(num::fsqrt(opaque(-1.0))));
    EXPECT_TRUE(is_canonical_nan(num::fsub(opaque(inf), opaque(inf))));
    EXPECT_TRUE(is_canonical_nan(num::fmul(opaque(0.0f), opaque(inf))));
    EXPECT_TRUE(is_canonical_nan(num::fdiv(opaque(0.0), opaque(-0.0))));
}

TEST(NumericFloat, SqrtIsCorrectlyRoundedInItsOwnPrecision) {
    // A double sqrt must not go through glibc's narrowing `float fsqrt(double)`.
    EXPECT_EQ(bits(num::fsqrt(opaque(2.0))), 0x3ff6a09e667f3bcdu);
    EXPECT_EQ(bits(num::fsqrt(opaque(2.0f))), 0x3fb504f3u);
    EXPECT_EQ(bits(num::fsqrt(opaque(-0.0))), 0x8000000000000000u);
    EXPECT_EQ(num::fsqrt(opaque(std::numeric_limits<double>::infinity())),
              std::numeric_limits<double>::infinity());
    // The other glibc narrowing names: results must keep double precision.
    EXPECT_EQ(bits(num::fadd(opaque(1.0), opaque(0x1p-52))), 0x3ff0000000000001u);
    EXPECT_EQ(bits(num::fsub(opaque(1.0), opaque(0x1p-53))), 0x3fefffffffffffffu);
    EXPECT_EQ(bits(num::fmul(opaque(1.0 + 0x1p-52), opaque(1.0 + 0x1p-52))), 0x3ff0000000000002u);
    EXPECT_EQ(bits(num::fdiv(opaque(1.0), opaque(3.0))), 0x3fd5555555555555u);
}

TEST(NumericFloat, AbsNegCopysignAreBitOperations) {
    EXPECT_EQ(bits(num::fabs(f32(0xffa00001))), 0x7fa00001u); // signaling NaN stays signaling
    EXPECT_EQ(bits(num::fabs(f32(0x80000000))), 0u);
    EXPECT_EQ(bits(num::fabs(f32(0x7f800000))), 0x7f800000u);
    EXPECT_EQ(bits(num::fneg(f32(0x7fa00001))), 0xffa00001u);
    EXPECT_EQ(bits(num::fneg(f32(0xffc00000))), 0x7fc00000u);
    EXPECT_EQ(bits(num::fneg(f32(0))), 0x80000000u);
    EXPECT_EQ(bits(num::fcopysign(f32(0x7fa00001), f32(0x80000000))), 0xffa00001u);
    EXPECT_EQ(bits(num::fcopysign(f32(0xffc00000), f32(0x7fc00000))), 0x7fc00000u);
    EXPECT_EQ(bits(num::fcopysign(f32(0x3f800000), f32(0xffc00000))), 0xbf800000u);

    EXPECT_EQ(bits(num::fabs(f64(0xfff4000000000001))), 0x7ff4000000000001u);
    EXPECT_EQ(bits(num::fneg(f64(0x7ff4000000000001))), 0xfff4000000000001u);
    EXPECT_EQ(bits(num::fneg(f64(0x8000000000000000))), 0u);
    EXPECT_EQ(bits(num::fcopysign(f64(0x7ff4000000000001), f64(0x8000000000000000))),
              0xfff4000000000001u);
    EXPECT_EQ(bits(num::fcopysign(f64(0xbff0000000000000), f64(0))), 0x3ff0000000000000u);
}

// ---------------------------------------------------------------------------------------------
// Float-to-int conversions

template <typename I>
struct TruncOutcome {
    TrapKind trap;
    I value;
    friend bool operator==(const TruncOutcome&, const TruncOutcome&) = default;
};

template <typename I, typename F>
TruncOutcome<I> trunc_of(F f) {
    I out = I(0x5a);
    const TrapKind trap = num::trunc(opaque(f), out);
    return {trap, out};
}

template <typename I>
TruncOutcome<I> ok(I value) {
    return {TrapKind::none, value};
}
template <typename I>
TruncOutcome<I> overflow() {
    return {TrapKind::integer_overflow, I(0x5a)};
}
template <typename I>
TruncOutcome<I> invalid() {
    return {TrapKind::invalid_conversion, I(0x5a)};
}

template <typename F>
F next_up(F f) {
    return std::nextafter(f, std::numeric_limits<F>::infinity());
}
template <typename F>
F next_down(F f) {
    return std::nextafter(f, -std::numeric_limits<F>::infinity());
}

// For every (I, F): the largest F below the upper bound converts, the bound itself traps;
// at the lower end the same with the smallest F whose truncation still fits.
template <typename I, typename F>
void check_trunc_bounds(F lowest_ok, I lowest_value, F highest_ok, I highest_value) {
    SCOPED_TRACE(std::string(typeid(I).name()) + " <- " + typeid(F).name());
    using limits = std::numeric_limits<F>;
    EXPECT_EQ(trunc_of<I>(highest_ok), ok<I>(highest_value));
    EXPECT_EQ(trunc_of<I>(next_up(highest_ok)), overflow<I>());
    EXPECT_EQ(trunc_of<I>(lowest_ok), ok<I>(lowest_value));
    EXPECT_EQ(trunc_of<I>(next_down(lowest_ok)), overflow<I>());
    EXPECT_EQ(trunc_of<I>(limits::infinity()), overflow<I>());
    EXPECT_EQ(trunc_of<I>(-limits::infinity()), overflow<I>());
    EXPECT_EQ(trunc_of<I>(limits::max()), overflow<I>());
    EXPECT_EQ(trunc_of<I>(limits::lowest()), overflow<I>());
    EXPECT_EQ(trunc_of<I>(limits::quiet_NaN()), invalid<I>());
    EXPECT_EQ(trunc_of<I>(-limits::quiet_NaN()), invalid<I>());
    EXPECT_EQ(trunc_of<I>(limits::signaling_NaN()), invalid<I>());
    EXPECT_EQ(trunc_of<I>(F(-0.0)), ok<I>(0));
    EXPECT_EQ(trunc_of<I>(limits::denorm_min()), ok<I>(0));
    EXPECT_EQ(trunc_of<I>(-limits::denorm_min()), ok<I>(0));
    EXPECT_EQ(trunc_of<I>(next_down(F(1))), ok<I>(0));
    EXPECT_EQ(trunc_of<I>(F(1.5)), ok<I>(1));
    if constexpr (std::is_unsigned_v<I>) {
        EXPECT_EQ(trunc_of<I>(next_up(F(-1))), ok<I>(0)); // -0.99.. truncates to 0
        EXPECT_EQ(trunc_of<I>(F(-1)), overflow<I>());
    } else {
        EXPECT_EQ(trunc_of<I>(F(-1.5)), ok<I>(-1));
    }

    EXPECT_EQ(num::trunc_sat<I>(opaque(highest_ok)), highest_value);
    EXPECT_EQ(num::trunc_sat<I>(opaque(next_up(highest_ok))), std::numeric_limits<I>::max());
    EXPECT_EQ(num::trunc_sat<I>(opaque(lowest_ok)), lowest_value);
    EXPECT_EQ(num::trunc_sat<I>(opaque(next_down(lowest_ok))), std::numeric_limits<I>::min());
    EXPECT_EQ(num::trunc_sat<I>(opaque(limits::infinity())), std::numeric_limits<I>::max());
    EXPECT_EQ(num::trunc_sat<I>(opaque(-limits::infinity())), std::numeric_limits<I>::min());
    EXPECT_EQ(num::trunc_sat<I>(opaque(limits::quiet_NaN())), I{0});
    EXPECT_EQ(num::trunc_sat<I>(opaque(-limits::quiet_NaN())), I{0});
    EXPECT_EQ(num::trunc_sat<I>(opaque(limits::signaling_NaN())), I{0});
    EXPECT_EQ(num::trunc_sat<I>(opaque(F(-0.75))), I{0});
}

TEST(NumericConversion, TruncBoundariesAreExact) {
    // f32 -> i32: 2^31 traps, -2^31 is fine; the neighbours of -2^31 in f32 are 256 apart.
    check_trunc_bounds<int32_t, float>(-2147483648.0f, INT32_MIN, 2147483520.0f, 2147483520);
    EXPECT_EQ(trunc_of<int32_t>(2147483648.0f), overflow<int32_t>());
    EXPECT_EQ(trunc_of<int32_t>(-2147483904.0f), overflow<int32_t>());
    // f64 -> i32: fractions beyond the bounds still truncate into range.
    check_trunc_bounds<int32_t, double>(next_up(-2147483649.0), INT32_MIN, next_down(2147483648.0),
                                        INT32_MAX);
    EXPECT_EQ(trunc_of<int32_t>(-2147483649.0), overflow<int32_t>());
    EXPECT_EQ(trunc_of<int32_t>(2147483648.0), overflow<int32_t>());
    check_trunc_bounds<uint32_t, float>(-0.99999994f, 0u, 4294967040.0f, 4294967040u);
    EXPECT_EQ(trunc_of<uint32_t>(4294967296.0f), overflow<uint32_t>());
    check_trunc_bounds<uint32_t, double>(-0.9999999999999999, 0u, next_down(4294967296.0),
                                         UINT32_MAX);
    EXPECT_EQ(trunc_of<uint32_t>(4294967296.0), overflow<uint32_t>());
    check_trunc_bounds<int64_t, float>(-9223372036854775808.0f, INT64_MIN, 9223371487098961920.0f,
                                       9223371487098961920);
    check_trunc_bounds<int64_t, double>(-9223372036854775808.0, INT64_MIN, 9223372036854774784.0,
                                        9223372036854774784);
    EXPECT_EQ(trunc_of<int64_t>(9223372036854775808.0), overflow<int64_t>());
    EXPECT_EQ(trunc_of<int64_t>(-9223372036854777856.0), overflow<int64_t>());
    check_trunc_bounds<uint64_t, float>(-0.99999994f, 0u, 18446742974197923840.0f,
                                        18446742974197923840u);
    check_trunc_bounds<uint64_t, double>(-0.9999999999999999, 0u, 18446744073709549568.0,
                                         18446744073709549568u);
    EXPECT_EQ(trunc_of<uint64_t>(18446744073709551616.0), overflow<uint64_t>());
}

// Reference: x87 long double holds every f32, f64 and 64-bit integer exactly.
template <typename I, typename F>
TruncOutcome<I> reference_trunc(F f) {
    if (std::isnan(f)) return invalid<I>();
    const long double t = std::trunc(static_cast<long double>(f));
    if (t < static_cast<long double>(std::numeric_limits<I>::min()) ||
        t > static_cast<long double>(std::numeric_limits<I>::max()))
        return overflow<I>();
    return ok<I>(static_cast<I>(t));
}

template <typename I, typename F>
I reference_trunc_sat(F f) {
    const TruncOutcome<I> r = reference_trunc<I>(f);
    if (r.trap == TrapKind::none) return r.value;
    if (std::isnan(f)) return 0;
    return f < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
}

template <typename I, typename F>
void compare_trunc_with_reference(F f) {
    ASSERT_EQ(trunc_of<I>(f), reference_trunc<I>(f)) << std::hexfloat << f;
    ASSERT_EQ(num::trunc_sat<I>(opaque(f)), reference_trunc_sat<I>(f)) << std::hexfloat << f;
}

template <typename F>
std::vector<F> interesting_floats() {
    std::vector<F> values;
    // 2^k around each bound, both signs, and their neighbours.
    for (int k : {0, 31, 32, 63, 64}) {
        for (F sign : {F(1), F(-1)}) {
            F center = sign * std::ldexp(F(1), k);
            F below = center, above = center;
            for (int step = 0; step < 40; ++step) {
                values.push_back(below);
                values.push_back(above);
                below = next_down(below);
                above = next_up(above);
            }
            values.push_back(center - sign); // 2^k - 1 (rounded in F)
        }
    }
    return values;
}

template <typename F>
void sweep_trunc(std::mt19937_64& rng) {
    std::vector<F> values = interesting_floats<F>();
    using B = num::FloatBits<F>;
    for (int i = 0; i < 200000; ++i)
        values.push_back(std::bit_cast<F>(static_cast<B>(rng())));
    for (F f : values) {
        compare_trunc_with_reference<int32_t>(f);
        compare_trunc_with_reference<uint32_t>(f);
        compare_trunc_with_reference<int64_t>(f);
        compare_trunc_with_reference<uint64_t>(f);
    }
}

TEST(NumericConversion, TruncMatchesReferenceOnBoundariesAndRandomFloats) {
    std::mt19937_64 rng(20240601);
    sweep_trunc<float>(rng);
    sweep_trunc<double>(rng);
}

// ---------------------------------------------------------------------------------------------
// Int-to-float conversions

// Reference: round the magnitude to F's precision with integer arithmetic (ties to even), then
// scale exactly with ldexp.
template <typename F>
F reference_round(bool negative, uint64_t magnitude) {
    constexpr int precision = std::numeric_limits<F>::digits;
    int shift = magnitude == 0 ? 0 : (64 - std::countl_zero(magnitude)) - precision;
    uint64_t mantissa = magnitude;
    if (shift > 0) {
        mantissa = magnitude >> shift;
        const uint64_t rest = magnitude & ((uint64_t{1} << shift) - 1);
        const uint64_t half = uint64_t{1} << (shift - 1);
        if (rest > half || (rest == half && (mantissa & 1))) ++mantissa;
    } else {
        shift = 0;
    }
    const F value = std::ldexp(static_cast<F>(mantissa), shift); // mantissa <= 2^precision
    return negative ? -value : value;
}

template <typename F, typename I>
F reference_convert(I i) {
    if constexpr (std::is_signed_v<I>) {
        const bool negative = i < 0;
        const uint64_t magnitude =
            negative ? uint64_t{0} - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
        return reference_round<F>(negative, magnitude);
    } else {
        return reference_round<F>(false, i);
    }
}

TEST(NumericConversion, ConvertIsCorrectlyRoundedOnHardCases) {
    // 2^63 + 2^39 + 1: via f64 it would become 2^63 + 2^39, an exact f32 tie, rounded to 2^63.
    EXPECT_EQ(bits(num::convert<float>(opaque(uint64_t{0x8000008000000001}))), 0x5f000001u);
    EXPECT_EQ(bits(num::convert<float>(opaque(uint64_t{0x8000008000000000}))), 0x5f000000u);
    EXPECT_EQ(bits(num::convert<float>(opaque(uint64_t{0x8000018000000000}))), 0x5f000002u);
    EXPECT_EQ(bits(num::convert<float>(opaque(~uint64_t{0}))), 0x5f800000u); // 2^64
    EXPECT_EQ(bits(num::convert<float>(opaque(uint64_t{0x20000020000001}))),
              bits(9007200328482816.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(int64_t{0x20000020000001}))),
              bits(9007200328482816.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(int64_t{-0x20000020000001}))),
              bits(-9007200328482816.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(INT64_MIN))), 0xdf000000u);
    EXPECT_EQ(bits(num::convert<float>(opaque(INT64_MAX))), 0x5f000000u);
    EXPECT_EQ(bits(num::convert<float>(opaque(int64_t{0x7fffff4000000001}))), 0x5effffffu);
    EXPECT_EQ(bits(num::convert<float>(opaque(16777217))), bits(16777216.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(16777219))), bits(16777220.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(-16777217))), bits(-16777216.0f));
    EXPECT_EQ(bits(num::convert<float>(opaque(INT32_MIN))), 0xcf000000u);
    EXPECT_EQ(bits(num::convert<float>(opaque(0xffffffffu))), 0x4f800000u);
    EXPECT_EQ(bits(num::convert<float>(opaque(0x80000080u))), 0x4f000000u); // tie to even
    EXPECT_EQ(bits(num::convert<float>(opaque(0x80000081u))), 0x4f000001u);
    EXPECT_EQ(bits(num::convert<float>(opaque(0u))), 0u);

    EXPECT_EQ(num::convert<double>(opaque(uint64_t{9007199254740993})), 9007199254740992.0);
    EXPECT_EQ(bits(num::convert<double>(opaque(uint64_t{0x8000000000000401}))),
              0x43e0000000000001u);
    EXPECT_EQ(bits(num::convert<double>(opaque(uint64_t{0x8000000000000400}))),
              0x43e0000000000000u);
    EXPECT_EQ(bits(num::convert<double>(opaque(uint64_t{0x8000000000000c00}))),
              0x43e0000000000002u);
    EXPECT_EQ(bits(num::convert<double>(opaque(~uint64_t{0}))), 0x43f0000000000000u);
    EXPECT_EQ(num::convert<double>(opaque(int64_t{-9007199254740993})), -9007199254740992.0);
    EXPECT_EQ(num::convert<double>(opaque(INT64_MIN)), -9223372036854775808.0);
    EXPECT_EQ(num::convert<double>(opaque(INT32_MIN)), -2147483648.0);
    EXPECT_EQ(num::convert<double>(opaque(0xffffffffu)), 4294967295.0);
}

template <typename F, typename I>
void compare_convert_with_reference(I i) {
    ASSERT_EQ(bits(num::convert<F>(opaque(i))), bits(reference_convert<F>(i))) << i;
}

TEST(NumericConversion, ConvertMatchesReferenceOnRandomAndTieIntegers) {
    std::mt19937_64 rng(77);
    std::vector<uint64_t> values;
    for (int i = 0; i < 100000; ++i)
        values.push_back(rng() >> (rng() % 64)); // every magnitude
    for (int position = 1; position < 64; ++position) {
        // Just below, at and above the tie of a mantissa ending at `position`.
        const uint64_t tie = (uint64_t{1} << position) | (uint64_t{1} << (position - 1));
        for (uint64_t base : {tie, ~uint64_t{0} << (position - 1), uint64_t{1} << 63 | tie})
            for (uint64_t delta : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}})
                values.push_back(base + delta);
    }
    for (uint64_t v : values) {
        compare_convert_with_reference<float>(v);
        compare_convert_with_reference<double>(v);
        compare_convert_with_reference<float>(static_cast<int64_t>(v));
        compare_convert_with_reference<double>(static_cast<int64_t>(v));
        compare_convert_with_reference<float>(static_cast<uint32_t>(v));
        compare_convert_with_reference<double>(static_cast<uint32_t>(v));
        compare_convert_with_reference<float>(static_cast<int32_t>(v));
        compare_convert_with_reference<double>(static_cast<int32_t>(v));
    }
}

TEST(NumericConversion, DemoteAndPromote) {
    // 1 + 2^-24 is exactly between two floats: ties to even gives 1.
    EXPECT_EQ(bits(num::demote(f64(0x3ff0000010000000))), 0x3f800000u);
    EXPECT_EQ(bits(num::demote(f64(0x3ff0000010000001))), 0x3f800001u);
    EXPECT_EQ(bits(num::demote(f64(0x3ff0000030000000))), 0x3f800002u);
    EXPECT_EQ(bits(num::demote(opaque(std::numeric_limits<double>::max()))), 0x7f800000u);
    EXPECT_EQ(bits(num::demote(opaque(-std::numeric_limits<double>::max()))), 0xff800000u);
    EXPECT_EQ(bits(num::demote(opaque(0x1.fffffefffffffp+127))), 0x7f7fffffu); // below FLT_MAX tie
    EXPECT_EQ(bits(num::demote(opaque(0x1.ffffffp+127))), 0x7f800000u);        // the tie: inf
    EXPECT_EQ(bits(num::demote(opaque(0x1p-150))), 0u);                        // tie to even 0
    EXPECT_EQ(bits(num::demote(opaque(0x1.0000000000001p-150))), 1u);          // just above
    EXPECT_EQ(bits(num::demote(opaque(-0.0))), 0x80000000u);
    EXPECT_TRUE(is_canonical_nan(num::demote(f64(0x7ff8000000000000))));
    EXPECT_TRUE(is_canonical_nan(num::demote(f64(0xfff8000000000000))));
    EXPECT_TRUE(is_arithmetic_nan(num::demote(f64(f64_snan))));
    EXPECT_TRUE(is_arithmetic_nan(num::demote(f64(0x7ff0000000000001)))); // payload lost: still NaN

    EXPECT_EQ(bits(num::promote(f32(0x7f7fffff))), bits(double(std::numeric_limits<float>::max())));
    EXPECT_EQ(bits(num::promote(f32(1))), bits(0x1p-149));
    EXPECT_EQ(bits(num::promote(f32(0x80000000))), 0x8000000000000000u);
    EXPECT_TRUE(is_canonical_nan(num::promote(f32(0x7fc00000))));
    EXPECT_TRUE(is_canonical_nan(num::promote(f32(0xffc00000))));
    EXPECT_TRUE(is_arithmetic_nan(num::promote(f32(f32_snan))));
    EXPECT_TRUE(is_arithmetic_nan(num::promote(f32(0x7f800001))));
}

TEST(NumericConversion, Reinterpret) {
    EXPECT_EQ(num::i32_reinterpret_f32(f32(0x7fa00001)), 0x7fa00001u);
    EXPECT_EQ(bits(num::f32_reinterpret_i32(opaque(0xffa00001u))), 0xffa00001u);
    EXPECT_EQ(num::i64_reinterpret_f64(f64(0x7ff4000000000001)), 0x7ff4000000000001u);
    EXPECT_EQ(bits(num::f64_reinterpret_i64(opaque(uint64_t{0x8000000000000001}))),
              0x8000000000000001u);
    EXPECT_EQ(num::reinterpret<uint32_t>(-0.0f), 0x80000000u);
    EXPECT_EQ(num::reinterpret<double>(uint64_t{0x3ff0000000000000}), 1.0);
}

TEST(NumericMemory, LoadAndStoreAreLittleEndianAndUnaligned) {
    std::array<uint8_t, 16> bytes{};
    num::store_le<uint32_t>(bytes.data() + 1, 0x11223344u);
    EXPECT_EQ(bytes[1], 0x44);
    EXPECT_EQ(bytes[4], 0x11);
    EXPECT_EQ(num::load_le<uint32_t>(bytes.data() + 1), 0x11223344u);
    EXPECT_EQ(num::load_le<uint16_t>(bytes.data() + 2), 0x2233u);
    EXPECT_EQ(num::load_le<int8_t>(bytes.data() + 4), int8_t{0x11});

    num::store_le<uint64_t>(bytes.data() + 7, 0x0102030405060708u);
    EXPECT_EQ(bytes[7], 0x08);
    EXPECT_EQ(bytes[14], 0x01);
    EXPECT_EQ(num::load_le<uint64_t>(bytes.data() + 7), 0x0102030405060708u);

    num::store_le<float>(bytes.data() + 3, f32(0x7fa00001)); // NaN payload survives memory
    EXPECT_EQ(num::load_le<uint32_t>(bytes.data() + 3), 0x7fa00001u);
    EXPECT_EQ(bits(num::load_le<float>(bytes.data() + 3)), 0x7fa00001u);
    num::store_le<double>(bytes.data() + 5, f64(f64_snan));
    EXPECT_EQ(num::load_le<uint64_t>(bytes.data() + 5), f64_snan);
}

// ---------------------------------------------------------------------------------------------
// The spec suite's own numeric tests. Every module in these files exports single-instruction
// functions named after the instruction, so each command maps to one numeric.hpp call.

std::filesystem::path spec_core_dir() {
    if (const char* dir = std::getenv("WBPF_SPEC_CORE_DIR")) return dir;
    return "/work/shared/spec/core";
}

/// An operation's result: a trap, or a value as raw bits.
struct Outcome {
    TrapKind trap = TrapKind::none;
    uint64_t bits = 0;
};

using Operation = std::function<Outcome(const std::vector<uint64_t>& args)>;

template <typename T>
T arg(const std::vector<uint64_t>& args, size_t index) {
    if constexpr (std::same_as<T, float>)
        return f32(static_cast<uint32_t>(args.at(index)));
    else if constexpr (std::same_as<T, double>)
        return f64(args.at(index));
    else
        return opaque(static_cast<T>(args.at(index)));
}

template <typename T>
Outcome value(T v) {
    if constexpr (std::same_as<T, float> || std::same_as<T, double>)
        return {TrapKind::none, bits(v)};
    else
        return {TrapKind::none, static_cast<uint64_t>(std::make_unsigned_t<T>(v))};
}

template <typename T>
void add_integer_operations(std::map<std::string, Operation>& ops, const std::string& prefix) {
    ops[prefix + "clz"] = [](auto& a) { return value(num::clz(arg<T>(a, 0))); };
    ops[prefix + "ctz"] = [](auto& a) { return value(num::ctz(arg<T>(a, 0))); };
    ops[prefix + "popcnt"] = [](auto& a) { return value(num::popcnt(arg<T>(a, 0))); };
    ops[prefix + "eqz"] = [](auto& a) { return value(num::eqz(arg<T>(a, 0))); };
    ops[prefix + "extend8_s"] = [](auto& a) { return value(num::extend8_s(arg<T>(a, 0))); };
    ops[prefix + "extend16_s"] = [](auto& a) { return value(num::extend16_s(arg<T>(a, 0))); };
    if constexpr (std::same_as<T, uint64_t>)
        ops[prefix + "extend32_s"] = [](auto& a) { return value(num::extend32_s(arg<T>(a, 0))); };
#define WBPF_BINARY(name)                                                                          \
    ops[prefix + #name] = [](auto& a) { return value(num::name(arg<T>(a, 0), arg<T>(a, 1))); }
    WBPF_BINARY(shl);
    WBPF_BINARY(shr_s);
    WBPF_BINARY(shr_u);
    WBPF_BINARY(rotl);
    WBPF_BINARY(rotr);
#undef WBPF_BINARY
#define WBPF_DIVISION(name)                                                                        \
    ops[prefix + #name] = [](auto& a) {                                                            \
        T out = 0;                                                                                 \
        const TrapKind trap = num::name(arg<T>(a, 0), arg<T>(a, 1), out);                          \
        return trap == TrapKind::none ? value(out) : Outcome{trap, 0};                             \
    }
    WBPF_DIVISION(div_s);
    WBPF_DIVISION(div_u);
    WBPF_DIVISION(rem_s);
    WBPF_DIVISION(rem_u);
#undef WBPF_DIVISION
}

template <typename F>
void add_float_operations(std::map<std::string, Operation>& ops, const std::string& prefix) {
#define WBPF_UNARY(name, fn)                                                                       \
    ops[prefix + name] = [](auto& a) { return value(num::fn(arg<F>(a, 0))); }
#define WBPF_BINARY(name, fn)                                                                      \
    ops[prefix + name] = [](auto& a) { return value(num::fn(arg<F>(a, 0), arg<F>(a, 1))); }
    WBPF_BINARY("add", fadd);
    WBPF_BINARY("sub", fsub);
    WBPF_BINARY("mul", fmul);
    WBPF_BINARY("div", fdiv);
    WBPF_BINARY("min", fmin);
    WBPF_BINARY("max", fmax);
    WBPF_BINARY("copysign", fcopysign);
    WBPF_UNARY("sqrt", fsqrt);
    WBPF_UNARY("ceil", fceil);
    WBPF_UNARY("floor", ffloor);
    WBPF_UNARY("trunc", ftrunc);
    WBPF_UNARY("nearest", fnearest);
    WBPF_UNARY("abs", fabs);
    WBPF_UNARY("neg", fneg);
#undef WBPF_UNARY
#undef WBPF_BINARY
}

template <typename I, typename F>
void add_trunc(std::map<std::string, Operation>& ops, const std::string& name) {
    ops[name] = [](auto& a) {
        I out = 0;
        const TrapKind trap = num::trunc(arg<F>(a, 0), out);
        return trap == TrapKind::none ? value(out) : Outcome{trap, 0};
    };
}

template <typename I, typename F>
void add_trunc_sat(std::map<std::string, Operation>& ops, const std::string& name) {
    ops[name] = [](auto& a) { return value(num::trunc_sat<I>(arg<F>(a, 0))); };
}

template <typename F, typename I>
void add_convert(std::map<std::string, Operation>& ops, const std::string& name) {
    ops[name] = [](auto& a) { return value(num::convert<F>(arg<I>(a, 0))); };
}

std::map<std::string, Operation> conversion_operations() {
    std::map<std::string, Operation> ops;
    add_trunc<int32_t, float>(ops, "i32.trunc_f32_s");
    add_trunc<uint32_t, float>(ops, "i32.trunc_f32_u");
    add_trunc<int32_t, double>(ops, "i32.trunc_f64_s");
    add_trunc<uint32_t, double>(ops, "i32.trunc_f64_u");
    add_trunc<int64_t, float>(ops, "i64.trunc_f32_s");
    add_trunc<uint64_t, float>(ops, "i64.trunc_f32_u");
    add_trunc<int64_t, double>(ops, "i64.trunc_f64_s");
    add_trunc<uint64_t, double>(ops, "i64.trunc_f64_u");
    add_trunc_sat<int32_t, float>(ops, "i32.trunc_sat_f32_s");
    add_trunc_sat<uint32_t, float>(ops, "i32.trunc_sat_f32_u");
    add_trunc_sat<int32_t, double>(ops, "i32.trunc_sat_f64_s");
    add_trunc_sat<uint32_t, double>(ops, "i32.trunc_sat_f64_u");
    add_trunc_sat<int64_t, float>(ops, "i64.trunc_sat_f32_s");
    add_trunc_sat<uint64_t, float>(ops, "i64.trunc_sat_f32_u");
    add_trunc_sat<int64_t, double>(ops, "i64.trunc_sat_f64_s");
    add_trunc_sat<uint64_t, double>(ops, "i64.trunc_sat_f64_u");
    add_convert<float, int32_t>(ops, "f32.convert_i32_s");
    add_convert<float, uint32_t>(ops, "f32.convert_i32_u");
    add_convert<float, int64_t>(ops, "f32.convert_i64_s");
    add_convert<float, uint64_t>(ops, "f32.convert_i64_u");
    add_convert<double, int32_t>(ops, "f64.convert_i32_s");
    add_convert<double, uint32_t>(ops, "f64.convert_i32_u");
    add_convert<double, int64_t>(ops, "f64.convert_i64_s");
    add_convert<double, uint64_t>(ops, "f64.convert_i64_u");
    ops["f32.demote_f64"] = [](auto& a) { return value(num::demote(arg<double>(a, 0))); };
    ops["f64.promote_f32"] = [](auto& a) { return value(num::promote(arg<float>(a, 0))); };
    ops["i64.extend_i32_s"] = [](auto& a) { return value(num::extend_i32_s(arg<uint32_t>(a, 0))); };
    ops["i64.extend_i32_u"] = [](auto& a) { return value(num::extend_i32_u(arg<uint32_t>(a, 0))); };
    ops["i32.wrap_i64"] = [](auto& a) { return value(num::wrap_i64(arg<uint64_t>(a, 0))); };
    ops["i32.reinterpret_f32"] = [](auto& a) {
        return value(num::i32_reinterpret_f32(arg<float>(a, 0)));
    };
    ops["i64.reinterpret_f64"] = [](auto& a) {
        return value(num::i64_reinterpret_f64(arg<double>(a, 0)));
    };
    ops["f32.reinterpret_i32"] = [](auto& a) {
        return value(num::f32_reinterpret_i32(arg<uint32_t>(a, 0)));
    };
    ops["f64.reinterpret_i64"] = [](auto& a) {
        return value(num::f64_reinterpret_i64(arg<uint64_t>(a, 0)));
    };
    return ops;
}

// Integer instructions the interpreter implements with plain C++ operators (no helper here).
const std::set<std::string> plain_integer_operations = {
    "add",  "sub",  "mul",  "and",  "or",   "xor",  "eq",   "ne",
    "lt_s", "lt_u", "le_s", "le_u", "gt_s", "gt_u", "ge_s", "ge_u"};

TrapKind trap_from_spec_text(const std::string& text) {
    if (text == "integer divide by zero") return TrapKind::integer_divide_by_zero;
    if (text == "integer overflow") return TrapKind::integer_overflow;
    if (text == "invalid conversion to integer") return TrapKind::invalid_conversion;
    ADD_FAILURE() << "unexpected trap text " << text;
    return TrapKind::none;
}

/// Whether `actual` (of type `type`) satisfies the spec's expected value.
bool matches(const nlohmann::json& expected, uint64_t actual) {
    const std::string type = expected.at("type");
    const std::string text = expected.at("value");
    if (type == "f32" && text.starts_with("nan:"))
        return text == "nan:canonical" ? is_canonical_nan(f32(static_cast<uint32_t>(actual)))
                                       : is_arithmetic_nan(f32(static_cast<uint32_t>(actual)));
    if (type == "f64" && text.starts_with("nan:"))
        return text == "nan:canonical" ? is_canonical_nan(f64(actual))
                                       : is_arithmetic_nan(f64(actual));
    const uint64_t want = std::stoull(text);
    return type == "i32" || type == "f32" ? static_cast<uint32_t>(actual) == want : actual == want;
}

void run_spec_file(const std::string& name, const std::map<std::string, Operation>& ops) {
    const std::filesystem::path file = spec_core_dir() / name / (name + ".json");
    if (!std::filesystem::exists(file))
        GTEST_SKIP() << file << " not found (set WBPF_SPEC_CORE_DIR)";
    std::ifstream in(file);
    const nlohmann::json script = nlohmann::json::parse(in);
    size_t checked = 0;
    for (const nlohmann::json& command : script.at("commands")) {
        const std::string type = command.at("type");
        if (type != "assert_return" && type != "assert_trap") continue;
        const nlohmann::json& action = command.at("action");
        const std::string field = action.at("field");
        const auto op = ops.find(field);
        if (op == ops.end()) {
            EXPECT_TRUE(plain_integer_operations.contains(field)) << "unmapped export " << field;
            continue;
        }
        std::vector<uint64_t> args;
        for (const nlohmann::json& a : action.at("args"))
            args.push_back(std::stoull(a.at("value").get<std::string>()));
        const Outcome got = op->second(args);
        const std::string where = name + ".wast:" + std::to_string(command.at("line").get<int>());
        if (type == "assert_trap") {
            EXPECT_EQ(got.trap, trap_from_spec_text(command.at("text"))) << where;
        } else {
            ASSERT_EQ(command.at("expected").size(), 1u) << where;
            EXPECT_EQ(got.trap, TrapKind::none) << where;
            EXPECT_TRUE(matches(command.at("expected")[0], got.bits))
                << where << ": " << field << " gave 0x" << std::hex << got.bits;
        }
        ++checked;
    }
    EXPECT_GT(checked, 0u);
    ::testing::Test::RecordProperty(name + "_checked", static_cast<int>(checked));
}

TEST(NumericSpec, I32) {
    std::map<std::string, Operation> ops;
    add_integer_operations<uint32_t>(ops, "");
    run_spec_file("i32", ops);
}

TEST(NumericSpec, I64) {
    std::map<std::string, Operation> ops;
    add_integer_operations<uint64_t>(ops, "");
    run_spec_file("i64", ops);
}

TEST(NumericSpec, F32) {
    std::map<std::string, Operation> ops;
    add_float_operations<float>(ops, "");
    run_spec_file("f32", ops);
    run_spec_file("f32_bitwise", ops);
}

TEST(NumericSpec, F64) {
    std::map<std::string, Operation> ops;
    add_float_operations<double>(ops, "");
    run_spec_file("f64", ops);
    run_spec_file("f64_bitwise", ops);
}

TEST(NumericSpec, FloatMisc) {
    std::map<std::string, Operation> ops;
    add_float_operations<float>(ops, "f32.");
    add_float_operations<double>(ops, "f64.");
    run_spec_file("float_misc", ops);
}

TEST(NumericSpec, Conversions) {
    run_spec_file("conversions", conversion_operations());
}

} // namespace
