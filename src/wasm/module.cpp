#include "module.hpp"

#include "code.hpp" // completes CompiledFunction for unique_ptr's destructor
#include "jit.hpp"  // completes NativeCode likewise

namespace wbpf::wasm {

Module::Module() = default;
Module::~Module() = default;
Module::Module(Module&&) noexcept = default;
Module& Module::operator=(Module&&) noexcept = default;

const Import& Module::imported(ExternKind kind, uint32_t index) const noexcept {
    // Imports of one kind are interleaved with others; count our way to the index-th.
    for (const Import& import : imports) {
        if (import.kind != kind) continue;
        if (index == 0) return import;
        --index;
    }
    // Precondition violated (index >= imported count of `kind`); there is no sane result.
    __builtin_trap();
}

const FuncType& Module::function_type(uint32_t index) const noexcept {
    if (index < imported_function_count)
        return types[imported(ExternKind::function, index).function_type];
    return types[functions[index - imported_function_count]];
}

TableType Module::table_type(uint32_t index) const noexcept {
    if (index < imported_table_count) return imported(ExternKind::table, index).table;
    return tables[index - imported_table_count];
}

MemoryType Module::memory_type(uint32_t index) const noexcept {
    if (index < imported_memory_count) return imported(ExternKind::memory, index).memory;
    return memories[index - imported_memory_count];
}

GlobalType Module::global_type(uint32_t index) const noexcept {
    if (index < imported_global_count) return imported(ExternKind::global, index).global;
    return globals[index - imported_global_count].type;
}

std::string Module::function_display_name(uint32_t index) const {
    if (index < function_names.size() && !function_names[index].empty())
        return function_names[index];
    return "func[" + std::to_string(index) + "]";
}

} // namespace wbpf::wasm
