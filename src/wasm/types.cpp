#include "types.hpp"

namespace wbpf::wasm {

std::string_view to_string(ValType t) noexcept {
    switch (t) {
    case ValType::i32: return "i32";
    case ValType::i64: return "i64";
    case ValType::f32: return "f32";
    case ValType::f64: return "f64";
    case ValType::v128: return "v128";
    case ValType::funcref: return "funcref";
    case ValType::externref: return "externref";
    }
    return "<invalid type>";
}

std::string_view to_string(ExternKind k) noexcept {
    switch (k) {
    case ExternKind::function: return "function";
    case ExternKind::table: return "table";
    case ExternKind::memory: return "memory";
    case ExternKind::global: return "global";
    }
    return "<invalid kind>";
}

} // namespace wbpf::wasm
