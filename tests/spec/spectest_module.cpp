#include "spectest_module.hpp"

#include <cstdio>
#include <string>

namespace wbpf::spec {

namespace {

using wasm::ValType;
using wasm::Value;

struct PrintFunction {
    const char* name;
    wasm::FuncType type;
};

const PrintFunction print_functions[] = {
    {"print", {{}, {}}},
    {"print_i32", {{ValType::i32}, {}}},
    {"print_i64", {{ValType::i64}, {}}},
    {"print_f32", {{ValType::f32}, {}}},
    {"print_f64", {{ValType::f64}, {}}},
    {"print_i32_f32", {{ValType::i32, ValType::f32}, {}}},
    {"print_f64_f64", {{ValType::f64, ValType::f64}, {}}},
};

wasm::TrapKind print_nothing(wasm::HostCall&, const Value*, Value*) {
    return wasm::TrapKind::none;
}

wasm::TrapKind print_arguments(wasm::HostCall& call, const Value* args, Value*) {
    const auto& function = *static_cast<const PrintFunction*>(call.context);
    std::string line = std::string("spectest.") + function.name + "(";
    for (size_t i = 0; i < function.type.params.size(); ++i) {
        if (i > 0) line += ", ";
        switch (function.type.params[i]) {
        case ValType::i32: line += std::to_string(static_cast<int32_t>(args[i].i32)); break;
        case ValType::i64: line += std::to_string(static_cast<int64_t>(args[i].i64)); break;
        case ValType::f32: line += std::to_string(args[i].f32); break;
        case ValType::f64: line += std::to_string(args[i].f64); break;
        default: line += "?"; break;
        }
    }
    std::printf("%s)\n", line.c_str());
    return wasm::TrapKind::none;
}

} // namespace

void add_spectest_module(wasm::Store& store, wasm::Imports& imports, bool verbose) {
    const std::string module = "spectest";
    for (const auto& function : print_functions) {
        auto& instance =
            store.add_host_function(function.type, verbose ? print_arguments : print_nothing,
                                    const_cast<PrintFunction*>(&function));
        imports.add(module, function.name, wasm::Extern::of(instance));
    }

    imports.add(module, "global_i32",
                wasm::Extern::of(store.add_global({ValType::i32, false}, Value{uint32_t{666}})));
    imports.add(module, "global_i64",
                wasm::Extern::of(store.add_global({ValType::i64, false}, Value{uint64_t{666}})));
    imports.add(module, "global_f32",
                wasm::Extern::of(store.add_global({ValType::f32, false}, Value{666.6f})));
    imports.add(module, "global_f64",
                wasm::Extern::of(store.add_global({ValType::f64, false}, Value{666.6})));

    wasm::TableType table{ValType::funcref, {10, 20}};
    imports.add(module, "table", wasm::Extern::of(store.add_table(table)));
    wasm::MemoryType memory{{1, 2}};
    imports.add(module, "memory", wasm::Extern::of(store.add_memory(memory)));
}

} // namespace wbpf::spec
