#include "spec_value.hpp"

#include <charconv>
#include <cstdio>

namespace wbpf::spec {

namespace {

using wasm::ValType;
using wasm::Value;

/// The unsigned decimal of a script value ("value": "4294967295").
uint64_t parse_bits(const nlohmann::json& text) {
    if (!text.is_string()) throw CommandFailure("value is not a string: " + text.dump());
    const std::string& s = text.get_ref<const std::string&>();
    uint64_t bits = 0;
    auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), bits);
    if (error != std::errc{} || end != s.data() + s.size()) {
        throw CommandFailure("bad value \"" + s + "\"");
    }
    return bits;
}

constexpr uint32_t f32_exponent_and_quiet = 0x7fc00000u;
constexpr uint32_t f32_quiet_bit = 0x00400000u;
constexpr uint64_t f64_exponent_and_quiet = 0x7ff8000000000000ull;
constexpr uint64_t f64_quiet_bit = 0x0008000000000000ull;

bool is_canonical_nan(ValType type, Value v) {
    if (type == ValType::f32) return (v.f32_bits() & 0x7fffffffu) == f32_exponent_and_quiet;
    return (v.f64_bits() & 0x7fffffffffffffffull) == f64_exponent_and_quiet;
}

/// Any NaN with the quiet (most significant payload) bit set.
bool is_arithmetic_nan(ValType type, Value v) {
    if (type == ValType::f32) {
        return (v.f32_bits() & f32_exponent_and_quiet) == f32_exponent_and_quiet &&
               (v.f32_bits() & f32_quiet_bit) != 0;
    }
    return (v.f64_bits() & f64_exponent_and_quiet) == f64_exponent_and_quiet &&
           (v.f64_bits() & f64_quiet_bit) != 0;
}

std::string hex(uint64_t bits, int digits) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%0*llx", digits, static_cast<unsigned long long>(bits));
    return buffer;
}

} // namespace

ValType parse_type(const nlohmann::json& value) {
    const std::string type = value.at("type").get<std::string>();
    if (type == "i32") return ValType::i32;
    if (type == "i64") return ValType::i64;
    if (type == "f32") return ValType::f32;
    if (type == "f64") return ValType::f64;
    if (type == "funcref") return ValType::funcref;
    if (type == "externref") return ValType::externref;
    throw CommandFailure("unsupported value type " + type);
}

Value parse_argument(const nlohmann::json& value, ExternRefs& refs) {
    const ValType type = parse_type(value);
    switch (type) {
    case ValType::i32:
    case ValType::f32: return Value{static_cast<uint32_t>(parse_bits(value.at("value")))};
    case ValType::i64:
    case ValType::f64: return Value{parse_bits(value.at("value"))};
    case ValType::externref:
    case ValType::funcref: {
        const auto& text = value.at("value");
        if (text == "null") return Value{static_cast<void*>(nullptr)};
        if (type == ValType::funcref) throw CommandFailure("cannot pass a non-null funcref");
        return Value{refs.pointer(parse_bits(text))};
    }
    case ValType::v128: break;
    }
    throw CommandFailure("unsupported argument type");
}

std::optional<std::string> mismatch(const nlohmann::json& expected, ValType type, Value actual,
                                    ExternRefs& refs) {
    const ValType expected_type = parse_type(expected);
    if (expected_type != type) {
        return "expected a " + std::string(wasm::to_string(expected_type)) + ", got " +
               describe(type, actual, refs);
    }
    const auto& text = expected.contains("value") ? expected["value"] : nlohmann::json();
    bool matches = false;
    std::string wanted;
    switch (type) {
    case ValType::i32: {
        const auto bits = static_cast<uint32_t>(parse_bits(text));
        matches = actual.i32 == bits;
        wanted = describe(type, Value{bits}, refs);
        break;
    }
    case ValType::i64: {
        const uint64_t bits = parse_bits(text);
        matches = actual.i64 == bits;
        wanted = describe(type, Value{bits}, refs);
        break;
    }
    case ValType::f32:
    case ValType::f64:
        if (text == "nan:canonical") {
            matches = is_canonical_nan(type, actual);
            wanted = std::string(wasm::to_string(type)) + " nan:canonical";
        } else if (text == "nan:arithmetic") {
            matches = is_arithmetic_nan(type, actual);
            wanted = std::string(wasm::to_string(type)) + " nan:arithmetic";
        } else if (type == ValType::f32) {
            const auto bits = static_cast<uint32_t>(parse_bits(text));
            matches = actual.f32_bits() == bits;
            wanted = describe(type, Value::from_f32_bits(bits), refs);
        } else {
            const uint64_t bits = parse_bits(text);
            matches = actual.f64_bits() == bits;
            wanted = describe(type, Value::from_f64_bits(bits), refs);
        }
        break;
    case ValType::funcref:
    case ValType::externref:
        if (text == "null") {
            matches = actual.ref == nullptr;
            wanted = std::string(wasm::to_string(type)) + " null";
        } else if (type == ValType::funcref || text.is_null()) {
            // The scripts cannot name a function instance: any non-null reference will do.
            matches = actual.ref != nullptr;
            wanted = std::string(wasm::to_string(type)) + " non-null";
        } else {
            const uint64_t number = parse_bits(text);
            matches = actual.ref == refs.pointer(number);
            wanted = "externref " + std::to_string(number);
        }
        break;
    case ValType::v128: throw CommandFailure("unsupported result type v128");
    }
    if (matches) return std::nullopt;
    return "expected " + wanted + ", got " + describe(type, actual, refs);
}

std::string describe(ValType type, Value value, const ExternRefs& refs) {
    std::string name(wasm::to_string(type));
    switch (type) {
    case ValType::i32:
        return name + " " + std::to_string(static_cast<int32_t>(value.i32)) + " (" +
               hex(value.i32, 8) + ")";
    case ValType::i64:
        return name + " " + std::to_string(static_cast<int64_t>(value.i64)) + " (" +
               hex(value.i64, 16) + ")";
    case ValType::f32: {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value.f32));
        return name + " " + hex(value.f32_bits(), 8) + " (" + buffer + ")";
    }
    case ValType::f64: {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.17g", value.f64);
        return name + " " + hex(value.f64_bits(), 16) + " (" + buffer + ")";
    }
    case ValType::funcref:
    case ValType::externref: {
        if (value.ref == nullptr) return name + " null";
        if (type == ValType::externref) {
            if (auto number = refs.number(value.ref)) return name + " " + std::to_string(*number);
        }
        return name + " " + hex(reinterpret_cast<uintptr_t>(value.ref), 0);
    }
    case ValType::v128: break;
    }
    return name;
}

} // namespace wbpf::spec
