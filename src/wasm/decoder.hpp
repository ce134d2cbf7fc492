// Binary-format decoder: bytes to Module (Wasm 2.0 core, chapter 5).
#pragma once

#include "module.hpp"

#include <span>

namespace wbpf::wasm {

/// Decodes every section of `bytes` (custom sections included; the `name` section fills
/// Module::name and Module::function_names, a malformed name section is ignored as the spec
/// allows). Function bodies are split into locals and a body ByteRange but their instructions
/// are not decoded here (the compiler does that). Throws MalformedError with the byte offset,
/// UnsupportedError for SIMD types ("SIMD is not supported yet"). Never recurses on input.
Module decode_module(std::span<const uint8_t> bytes, const DecodeLimits& limits);

} // namespace wbpf::wasm
