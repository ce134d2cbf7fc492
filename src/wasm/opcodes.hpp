// WebAssembly binary opcodes (Wasm 2.0 core, section 5.4), as named constants.
#pragma once

#include <cstdint>

namespace wbpf::wasm::opcode {

// Control.
inline constexpr uint8_t unreachable = 0x00, nop = 0x01, block = 0x02, loop = 0x03, if_ = 0x04,
                         else_ = 0x05, end = 0x0b, br = 0x0c, br_if = 0x0d, br_table = 0x0e,
                         return_ = 0x0f, call = 0x10, call_indirect = 0x11;
// Reference, parametric, variable, table.
inline constexpr uint8_t ref_null = 0xd0, ref_is_null = 0xd1, ref_func = 0xd2;
inline constexpr uint8_t drop = 0x1a, select = 0x1b, select_typed = 0x1c;
inline constexpr uint8_t local_get = 0x20, local_set = 0x21, local_tee = 0x22, global_get = 0x23,
                         global_set = 0x24, table_get = 0x25, table_set = 0x26;
// Memory: loads 0x28-0x35, stores 0x36-0x3e.
inline constexpr uint8_t i32_load = 0x28, i64_store32 = 0x3e, memory_size = 0x3f,
                         memory_grow = 0x40;
// Constants.
inline constexpr uint8_t i32_const = 0x41, i64_const = 0x42, f32_const = 0x43, f64_const = 0x44;
// Numeric ranges (see the Wasm spec's opcode table; the compiler maps each to a handler).
inline constexpr uint8_t i32_eqz = 0x45, i32_eq = 0x46, i32_ge_u = 0x4f, i64_eqz = 0x50,
                         i64_eq = 0x51, i64_ge_u = 0x5a, f32_eq = 0x5b, f64_ge = 0x66,
                         i32_clz = 0x67, i32_popcnt = 0x69, i32_add = 0x6a, i32_rotr = 0x78,
                         i64_clz = 0x79, i64_popcnt = 0x7b, i64_add = 0x7c, i64_rotr = 0x8a,
                         f32_abs = 0x8b, f32_sqrt = 0x91, f32_add = 0x92, f32_copysign = 0x98,
                         f64_abs = 0x99, f64_sqrt = 0x9f, f64_add = 0xa0, f64_copysign = 0xa6,
                         i32_wrap_i64 = 0xa7, f64_reinterpret_i64 = 0xbf, i32_extend8_s = 0xc0,
                         i64_extend32_s = 0xc4;
// Prefixes.
inline constexpr uint8_t prefix_fc = 0xfc, prefix_simd = 0xfd;

// 0xFC sub-opcodes (u32 immediates after the prefix).
inline constexpr uint32_t fc_trunc_sat_last = 7, fc_memory_init = 8, fc_data_drop = 9,
                          fc_memory_copy = 10, fc_memory_fill = 11, fc_table_init = 12,
                          fc_elem_drop = 13, fc_table_copy = 14, fc_table_grow = 15,
                          fc_table_size = 16, fc_table_fill = 17;

} // namespace wbpf::wasm::opcode
