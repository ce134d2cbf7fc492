#include "compiler.hpp"
#include "decoder.hpp"
#include "jit.hpp"
#include "validate_module.hpp"
#include "wasm.hpp"

namespace wbpf::wasm {

std::shared_ptr<const Module> parse_module(std::span<const uint8_t> bytes,
                                           const ParseOptions& options) {
    auto module = std::make_shared<Module>(decode_module(bytes, options.limits));
    std::vector<bool> declared_refs;
    validate_module(*module, declared_refs);
    compile_functions(*module, declared_refs);
    switch (jit_mode(options.jit)) {
    case JitMode::off: break;
    case JitMode::when_hot: module->native_when_hot = true; break;
    case JitMode::eager: module->native = jit_compile(*module); break;
    }
    return module;
}

} // namespace wbpf::wasm
