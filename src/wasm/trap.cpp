#include "trap.hpp"

namespace wbpf::wasm {

std::string_view trap_message(TrapKind kind) noexcept {
    switch (kind) {
    case TrapKind::none: return "no trap";
    case TrapKind::unreachable: return "unreachable";
    case TrapKind::integer_divide_by_zero: return "integer divide by zero";
    case TrapKind::integer_overflow: return "integer overflow";
    case TrapKind::invalid_conversion: return "invalid conversion to integer";
    case TrapKind::out_of_bounds_memory: return "out of bounds memory access";
    case TrapKind::out_of_bounds_table: return "out of bounds table access";
    case TrapKind::undefined_element: return "undefined element";
    case TrapKind::uninitialized_element: return "uninitialized element";
    case TrapKind::indirect_call_type_mismatch: return "indirect call type mismatch";
    case TrapKind::call_stack_exhausted: return "call stack exhausted";
    case TrapKind::interrupted: return "interrupted";
    case TrapKind::host_exit: return "exit";
    case TrapKind::host_error: return "host error";
    }
    return "unknown trap";
}

} // namespace wbpf::wasm
