// Script values (wast2json `{"type": ..., "value": ...}`) to engine values and back.
#pragma once

#include "extern_refs.hpp"

#include "wasm/wasm.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace wbpf::spec {

/// A command cannot be carried out as written (unknown export, unsupported value type, ...);
/// the command counts as failed with this message.
class CommandFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The value type named by a script value's "type" ("i32", "funcref", ...). Throws
/// CommandFailure for types wbpf does not support (v128).
wasm::ValType parse_type(const nlohmann::json& value);

/// An argument value. References: "null" is nullptr, externref N is refs.pointer(N).
/// Throws CommandFailure for values that cannot be passed (v128, non-null funcref).
wasm::Value parse_argument(const nlohmann::json& value, ExternRefs& refs);

/// Checks `actual` (of type `type`) against an expected script value: exact bits, or the
/// "nan:canonical" / "nan:arithmetic" classes for floats; a non-null funcref (or a reference
/// without a value) matches any non-null reference. Returns a description of the mismatch,
/// or nullopt when it matches.
std::optional<std::string> mismatch(const nlohmann::json& expected, wasm::ValType type,
                                    wasm::Value actual, ExternRefs& refs);

/// "i32 42", "f64 0x7ff8000000000000 (nan)", "externref 3", "funcref null", ... for messages.
std::string describe(wasm::ValType type, wasm::Value value, const ExternRefs& refs);

} // namespace wbpf::spec
