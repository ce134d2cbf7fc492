// Errors raised while loading and linking modules. Execution traps are not exceptions:
// see trap.hpp.
#pragma once

#include <stdexcept>
#include <string>

namespace wbpf::wasm {

/// Base of every load/link error. what() is a one-line, human-readable message.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The binary is not a well-formed module (spec: "malformed"). `offset` is the byte offset
/// in the binary where decoding failed.
class MalformedError : public Error {
public:
    MalformedError(const std::string& msg, size_t offset)
        : Error(msg + " (at byte " + std::to_string(offset) + ")"), offset_(offset) {}
    size_t offset() const noexcept { return offset_; }

private:
    size_t offset_;
};

/// The module is well-formed but fails validation (spec: "invalid").
class ValidationError : public Error {
public:
    using Error::Error;
};

/// The module uses a feature wbpf does not implement (e.g. SIMD).
class UnsupportedError : public Error {
public:
    using Error::Error;
};

/// Instantiation failed at import resolution (spec: "unlinkable").
class LinkError : public Error {
public:
    using Error::Error;
};

/// Instantiation trapped: a segment out of bounds or a trap in the start function
/// (spec: "uninstantiable"). The instance is not usable.
class InstantiationTrap : public Error {
public:
    using Error::Error;
};

} // namespace wbpf::wasm
