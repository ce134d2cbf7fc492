// Trap kinds: the ways execution can stop abnormally. Traps are plain values returned through
// the interpreter and host calls (never C++ exceptions, never signals escaping to the host).
#pragma once

#include <cstdint>
#include <string_view>

namespace wbpf::wasm {

enum class TrapKind : uint8_t {
    none = 0,
    unreachable,
    integer_divide_by_zero,
    integer_overflow,
    invalid_conversion, ///< float-to-int of NaN or out of range
    out_of_bounds_memory,
    out_of_bounds_table,
    undefined_element,     ///< call_indirect index beyond the table
    uninitialized_element, ///< call_indirect of a null entry
    indirect_call_type_mismatch,
    call_stack_exhausted,
    interrupted, ///< Store::interrupt() was requested
    host_exit,   ///< a host function ended the guest on purpose (e.g. WASI proc_exit)
    host_error,  ///< a host function failed; details in Store::host_error_message()
};

/// The message the spec test suite uses for this trap ("integer divide by zero", ...).
std::string_view trap_message(TrapKind kind) noexcept;

} // namespace wbpf::wasm
