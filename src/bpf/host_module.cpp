#include "bpf/host_module.hpp"

#include "bpf/map_operations.hpp"

#include <cerrno>
#include <string>

namespace wbpf::bpf {
namespace {

using wasm::HostCall;
using wasm::TrapKind;
using wasm::ValType;
using wasm::Value;

constexpr uint64_t max_name_length = 255;    // program and map names
constexpr uint64_t max_target_length = 4095; // PATH_MAX - 1

BpfRuntime& runtime_of(HostCall& call) {
    return *static_cast<BpfRuntime*>(call.context);
}

/// The type a buffer callback must have: (ctx, data, size) -> status.
bool is_callback_type(const wasm::FuncType& type) {
    static const wasm::FuncType expected{{ValType::i32, ValType::i32, ValType::i32},
                                         {ValType::i32}};
    return type == expected;
}

int32_t as_i32(const Value& value) {
    return static_cast<int32_t>(value.i32);
}

TrapKind load_object(HostCall& call, const Value* args, Value* results) {
    results[0] = Value(uint64_t{0});
    wasm::MemoryInstance* memory = call.memory();
    if (!memory) return TrapKind::none;
    auto bytes = memory->span(args[0].i32, args[1].i32);
    if (!bytes || bytes->empty()) return TrapKind::none;
    results[0] = Value(runtime_of(call).load_object(*bytes));
    return TrapKind::none;
}

TrapKind attach_program(HostCall& call, const Value* args, Value* results) {
    wasm::MemoryInstance* memory = call.memory();
    if (!memory) {
        results[0] = Value(int32_t{-EFAULT});
        return TrapKind::none;
    }
    auto name = memory->c_string(args[1].i32, max_name_length);
    std::optional<std::string_view> target;
    bool target_ok = true;
    if (args[2].i32 != 0) {
        target = memory->c_string(args[2].i32, max_target_length);
        target_ok = target.has_value();
    }
    if (!name || !target_ok) {
        results[0] = Value(int32_t{-EFAULT});
        return TrapKind::none;
    }
    // Copies: attaching must not depend on guest memory staying put.
    std::string program(*name);
    std::optional<std::string> target_copy;
    if (target) target_copy.emplace(*target);
    results[0] = Value(runtime_of(call).attach(args[0].i64, program, target_copy));
    return TrapKind::none;
}

TrapKind map_fd_by_name(HostCall& call, const Value* args, Value* results) {
    wasm::MemoryInstance* memory = call.memory();
    auto name = memory ? memory->c_string(args[1].i32, max_name_length) : std::nullopt;
    if (!name) {
        results[0] = Value(int32_t{-EFAULT});
        return TrapKind::none;
    }
    results[0] = Value(runtime_of(call).map_fd_by_name(args[0].i64, std::string(*name)));
    return TrapKind::none;
}

TrapKind map_operate(HostCall& call, const Value* args, Value* results) {
    wasm::MemoryInstance* memory = call.memory();
    if (!memory) {
        results[0] = Value(int32_t{-EFAULT});
        return TrapKind::none;
    }
    MapOperation op{as_i32(args[0]), args[1].i32, args[2].i32,
                    args[3].i32,     args[4].i32, args[5].i64};
    results[0] = Value(operate_on_map(runtime_of(call), *memory, op));
    return TrapKind::none;
}

TrapKind close_object(HostCall& call, const Value* args, Value* results) {
    results[0] = Value(runtime_of(call).close_object(args[0].i64));
    return TrapKind::none;
}

/// Shared by both poll imports once the callback is resolved. Checks the buffer once per poll.
TrapKind poll_with(HostCall& call, wasm::FunctionInstance* callback, uint64_t handle, int32_t fd,
                   uint32_t context, uint32_t data, uint32_t max_size, int32_t timeout_ms,
                   Value* results) {
    wasm::MemoryInstance* memory = call.memory();
    std::optional<std::span<uint8_t>> buffer;
    if (memory) buffer = memory->span(data, max_size);
    if (!buffer) {
        results[0] = Value(int32_t{-EFAULT});
        return TrapKind::none;
    }
    if (!callback || !callback->type || !is_callback_type(*callback->type)) {
        results[0] = Value(int32_t{-EINVAL});
        return TrapKind::none;
    }
    TrapKind trap = TrapKind::none;
    results[0] = Value(runtime_of(call).poll_buffer(call.store, handle, fd, *callback, context,
                                                    *buffer, data, timeout_ms, trap));
    return trap;
}

/// wasm_bpf_buffer_poll: the callback is an index into the caller's table 0.
TrapKind buffer_poll(HostCall& call, const Value* args, Value* results) {
    wasm::FunctionInstance* callback = nullptr;
    uint32_t index = args[2].i32;
    if (call.caller && !call.caller->tables.empty()) {
        wasm::TableInstance* table = call.caller->tables[0];
        if (table->type.element == ValType::funcref && index < table->size())
            callback = static_cast<wasm::FunctionInstance*>(table->elements[index]);
    }
    return poll_with(call, callback, args[0].i64, as_i32(args[1]), args[3].i32, args[4].i32,
                     args[5].i32, as_i32(args[6]), results);
}

/// callback-wrapper.wasm_bpf_buffer_poll (TinyGo): the callback is the export `go-callback`.
TrapKind tinygo_buffer_poll(HostCall& call, const Value* args, Value* results) {
    wasm::FunctionInstance* callback =
        call.caller ? call.caller->find_function("go-callback") : nullptr;
    return poll_with(call, callback, args[0].i64, as_i32(args[1]), args[2].i32, args[3].i32,
                     args[4].i32, as_i32(args[5]), results);
}

struct Import {
    std::string_view module;
    std::string_view name;
    wasm::FuncType type;
    wasm::HostFunctionCallback function;
};

} // namespace

void add_host_module(wasm::Store& store, wasm::Imports& imports, BpfRuntime& runtime) {
    constexpr ValType i32 = ValType::i32;
    constexpr ValType i64 = ValType::i64;
    const Import table[] = {
        {module_name, "wasm_load_bpf_object", {{i32, i32}, {i64}}, load_object},
        {module_name, "wasm_attach_bpf_program", {{i64, i32, i32}, {i32}}, attach_program},
        {module_name,
         "wasm_bpf_buffer_poll",
         {{i64, i32, i32, i32, i32, i32, i32}, {i32}},
         buffer_poll},
        {module_name, "wasm_bpf_map_fd_by_name", {{i64, i32}, {i32}}, map_fd_by_name},
        {module_name, "wasm_bpf_map_operate", {{i32, i32, i32, i32, i32, i64}, {i32}}, map_operate},
        {module_name, "wasm_close_bpf_object", {{i64}, {i32}}, close_object},
        {tinygo_module_name,
         "wasm_bpf_buffer_poll",
         {{i64, i32, i32, i32, i32, i32}, {i32}},
         tinygo_buffer_poll},
    };
    for (const Import& import : table) {
        wasm::FunctionInstance& function =
            store.add_host_function(import.type, import.function, &runtime);
        imports.add(std::string(import.module), std::string(import.name),
                    wasm::Extern::of(function));
    }
}

} // namespace wbpf::bpf
