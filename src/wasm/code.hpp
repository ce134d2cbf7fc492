// Internal code of a compiled function: the format shared by the compiler (which writes it)
// and the interpreter (which runs it). See docs/ENGINE.md for the design and the reasons.
//
// Layout (direct threading, register style):
//   A function's code is an array of 64-bit words. An instruction is
//     word 0      the address of its handler inside the interpreter loop (`&&label`)
//     words 1..   its 32-bit operands, packed two per word (operand k in word 1 + k / 2,
//                 low half when k is even), padded to a whole word
//     [one word]  a 64-bit immediate, for the few instructions that have one
//   so every instruction starts 8-byte aligned and its size is fixed by its kind.
// Operands:
//   - value operands are *slot offsets*: byte offsets from the frame pointer fp, so an operand
//     is read as `*(T*)(fp + off)` with no scaling and no operand-stack pointer;
//   - branch targets are signed word offsets relative to the branching instruction's word 0;
//   - everything else (function, type, table, segment, global indices; memory offsets;
//     32-bit immediates) is a plain u32.
// Frame: fp points at slot 0; slots are [params][declared locals][operand stack]. The callee's
// fp is the caller's slot holding the first argument; results are returned in fp[0..].
#pragma once

#include "module.hpp"

#include <cstdint>
#include <vector>

namespace wbpf::wasm {

// Numeric instructions that map one-to-one to a handler, in Wasm opcode order:
// X(name, opcode, arity, operand type, result type). Reinterpretations are absent (the
// compiler only retypes the operand: same bits, no code).
// Hand-aligned X-macro tables: clang-format 14 does not converge on them.
// clang-format off
#define WBPF_NUMERIC_OPS(X)                                                                        \
    X(i32_eqz, 0x45, 1, i32, i32)                                                                  \
    X(i32_eq, 0x46, 2, i32, i32)                                                                   \
    X(i32_ne, 0x47, 2, i32, i32)                                                                   \
    X(i32_lt_s, 0x48, 2, i32, i32)                                                                 \
    X(i32_lt_u, 0x49, 2, i32, i32)                                                                 \
    X(i32_gt_s, 0x4a, 2, i32, i32)                                                                 \
    X(i32_gt_u, 0x4b, 2, i32, i32)                                                                 \
    X(i32_le_s, 0x4c, 2, i32, i32)                                                                 \
    X(i32_le_u, 0x4d, 2, i32, i32)                                                                 \
    X(i32_ge_s, 0x4e, 2, i32, i32)                                                                 \
    X(i32_ge_u, 0x4f, 2, i32, i32)                                                                 \
    X(i64_eqz, 0x50, 1, i64, i32)                                                                  \
    X(i64_eq, 0x51, 2, i64, i32)                                                                   \
    X(i64_ne, 0x52, 2, i64, i32)                                                                   \
    X(i64_lt_s, 0x53, 2, i64, i32)                                                                 \
    X(i64_lt_u, 0x54, 2, i64, i32)                                                                 \
    X(i64_gt_s, 0x55, 2, i64, i32)                                                                 \
    X(i64_gt_u, 0x56, 2, i64, i32)                                                                 \
    X(i64_le_s, 0x57, 2, i64, i32)                                                                 \
    X(i64_le_u, 0x58, 2, i64, i32)                                                                 \
    X(i64_ge_s, 0x59, 2, i64, i32)                                                                 \
    X(i64_ge_u, 0x5a, 2, i64, i32)                                                                 \
    X(f32_eq, 0x5b, 2, f32, i32)                                                                   \
    X(f32_ne, 0x5c, 2, f32, i32)                                                                   \
    X(f32_lt, 0x5d, 2, f32, i32)                                                                   \
    X(f32_gt, 0x5e, 2, f32, i32)                                                                   \
    X(f32_le, 0x5f, 2, f32, i32)                                                                   \
    X(f32_ge, 0x60, 2, f32, i32)                                                                   \
    X(f64_eq, 0x61, 2, f64, i32)                                                                   \
    X(f64_ne, 0x62, 2, f64, i32)                                                                   \
    X(f64_lt, 0x63, 2, f64, i32)                                                                   \
    X(f64_gt, 0x64, 2, f64, i32)                                                                   \
    X(f64_le, 0x65, 2, f64, i32)                                                                   \
    X(f64_ge, 0x66, 2, f64, i32)                                                                   \
    X(i32_clz, 0x67, 1, i32, i32)                                                                  \
    X(i32_ctz, 0x68, 1, i32, i32)                                                                  \
    X(i32_popcnt, 0x69, 1, i32, i32)                                                               \
    X(i32_add, 0x6a, 2, i32, i32)                                                                  \
    X(i32_sub, 0x6b, 2, i32, i32)                                                                  \
    X(i32_mul, 0x6c, 2, i32, i32)                                                                  \
    X(i32_div_s, 0x6d, 2, i32, i32)                                                                \
    X(i32_div_u, 0x6e, 2, i32, i32)                                                                \
    X(i32_rem_s, 0x6f, 2, i32, i32)                                                                \
    X(i32_rem_u, 0x70, 2, i32, i32)                                                                \
    X(i32_and, 0x71, 2, i32, i32)                                                                  \
    X(i32_or, 0x72, 2, i32, i32)                                                                   \
    X(i32_xor, 0x73, 2, i32, i32)                                                                  \
    X(i32_shl, 0x74, 2, i32, i32)                                                                  \
    X(i32_shr_s, 0x75, 2, i32, i32)                                                                \
    X(i32_shr_u, 0x76, 2, i32, i32)                                                                \
    X(i32_rotl, 0x77, 2, i32, i32)                                                                 \
    X(i32_rotr, 0x78, 2, i32, i32)                                                                 \
    X(i64_clz, 0x79, 1, i64, i64)                                                                  \
    X(i64_ctz, 0x7a, 1, i64, i64)                                                                  \
    X(i64_popcnt, 0x7b, 1, i64, i64)                                                               \
    X(i64_add, 0x7c, 2, i64, i64)                                                                  \
    X(i64_sub, 0x7d, 2, i64, i64)                                                                  \
    X(i64_mul, 0x7e, 2, i64, i64)                                                                  \
    X(i64_div_s, 0x7f, 2, i64, i64)                                                                \
    X(i64_div_u, 0x80, 2, i64, i64)                                                                \
    X(i64_rem_s, 0x81, 2, i64, i64)                                                                \
    X(i64_rem_u, 0x82, 2, i64, i64)                                                                \
    X(i64_and, 0x83, 2, i64, i64)                                                                  \
    X(i64_or, 0x84, 2, i64, i64)                                                                   \
    X(i64_xor, 0x85, 2, i64, i64)                                                                  \
    X(i64_shl, 0x86, 2, i64, i64)                                                                  \
    X(i64_shr_s, 0x87, 2, i64, i64)                                                                \
    X(i64_shr_u, 0x88, 2, i64, i64)                                                                \
    X(i64_rotl, 0x89, 2, i64, i64)                                                                 \
    X(i64_rotr, 0x8a, 2, i64, i64)                                                                 \
    X(f32_abs, 0x8b, 1, f32, f32)                                                                  \
    X(f32_neg, 0x8c, 1, f32, f32)                                                                  \
    X(f32_ceil, 0x8d, 1, f32, f32)                                                                 \
    X(f32_floor, 0x8e, 1, f32, f32)                                                                \
    X(f32_trunc, 0x8f, 1, f32, f32)                                                                \
    X(f32_nearest, 0x90, 1, f32, f32)                                                              \
    X(f32_sqrt, 0x91, 1, f32, f32)                                                                 \
    X(f32_add, 0x92, 2, f32, f32)                                                                  \
    X(f32_sub, 0x93, 2, f32, f32)                                                                  \
    X(f32_mul, 0x94, 2, f32, f32)                                                                  \
    X(f32_div, 0x95, 2, f32, f32)                                                                  \
    X(f32_min, 0x96, 2, f32, f32)                                                                  \
    X(f32_max, 0x97, 2, f32, f32)                                                                  \
    X(f32_copysign, 0x98, 2, f32, f32)                                                             \
    X(f64_abs, 0x99, 1, f64, f64)                                                                  \
    X(f64_neg, 0x9a, 1, f64, f64)                                                                  \
    X(f64_ceil, 0x9b, 1, f64, f64)                                                                 \
    X(f64_floor, 0x9c, 1, f64, f64)                                                                \
    X(f64_trunc, 0x9d, 1, f64, f64)                                                                \
    X(f64_nearest, 0x9e, 1, f64, f64)                                                              \
    X(f64_sqrt, 0x9f, 1, f64, f64)                                                                 \
    X(f64_add, 0xa0, 2, f64, f64)                                                                  \
    X(f64_sub, 0xa1, 2, f64, f64)                                                                  \
    X(f64_mul, 0xa2, 2, f64, f64)                                                                  \
    X(f64_div, 0xa3, 2, f64, f64)                                                                  \
    X(f64_min, 0xa4, 2, f64, f64)                                                                  \
    X(f64_max, 0xa5, 2, f64, f64)                                                                  \
    X(f64_copysign, 0xa6, 2, f64, f64)                                                             \
    X(i32_wrap_i64, 0xa7, 1, i64, i32)                                                             \
    X(i32_trunc_f32_s, 0xa8, 1, f32, i32)                                                          \
    X(i32_trunc_f32_u, 0xa9, 1, f32, i32)                                                          \
    X(i32_trunc_f64_s, 0xaa, 1, f64, i32)                                                          \
    X(i32_trunc_f64_u, 0xab, 1, f64, i32)                                                          \
    X(i64_extend_i32_s, 0xac, 1, i32, i64)                                                         \
    X(i64_extend_i32_u, 0xad, 1, i32, i64)                                                         \
    X(i64_trunc_f32_s, 0xae, 1, f32, i64)                                                          \
    X(i64_trunc_f32_u, 0xaf, 1, f32, i64)                                                          \
    X(i64_trunc_f64_s, 0xb0, 1, f64, i64)                                                          \
    X(i64_trunc_f64_u, 0xb1, 1, f64, i64)                                                          \
    X(f32_convert_i32_s, 0xb2, 1, i32, f32)                                                        \
    X(f32_convert_i32_u, 0xb3, 1, i32, f32)                                                        \
    X(f32_convert_i64_s, 0xb4, 1, i64, f32)                                                        \
    X(f32_convert_i64_u, 0xb5, 1, i64, f32)                                                        \
    X(f32_demote_f64, 0xb6, 1, f64, f32)                                                           \
    X(f64_convert_i32_s, 0xb7, 1, i32, f64)                                                        \
    X(f64_convert_i32_u, 0xb8, 1, i32, f64)                                                        \
    X(f64_convert_i64_s, 0xb9, 1, i64, f64)                                                        \
    X(f64_convert_i64_u, 0xba, 1, i64, f64)                                                        \
    X(f64_promote_f32, 0xbb, 1, f32, f64)                                                          \
    X(i32_extend8_s, 0xc0, 1, i32, i32)                                                            \
    X(i32_extend16_s, 0xc1, 1, i32, i32)                                                           \
    X(i64_extend8_s, 0xc2, 1, i64, i64)                                                            \
    X(i64_extend16_s, 0xc3, 1, i64, i64)                                                           \
    X(i64_extend32_s, 0xc4, 1, i64, i64)

// Non-trapping float-to-int conversions, 0xFC sub-opcodes 0-7: X(name, subopcode, in, out).
#define WBPF_TRUNC_SAT_OPS(X)                                                                      \
    X(i32_trunc_sat_f32_s, 0, f32, i32)                                                            \
    X(i32_trunc_sat_f32_u, 1, f32, i32)                                                            \
    X(i32_trunc_sat_f64_s, 2, f64, i32)                                                            \
    X(i32_trunc_sat_f64_u, 3, f64, i32)                                                            \
    X(i64_trunc_sat_f32_s, 4, f32, i64)                                                            \
    X(i64_trunc_sat_f32_u, 5, f32, i64)                                                            \
    X(i64_trunc_sat_f64_s, 6, f64, i64)                                                            \
    X(i64_trunc_sat_f64_u, 7, f64, i64)

// Binary integer operations that also exist with a constant right operand (`NAME_imm`:
// [dst, a, imm32] for i32; [dst, a] + imm64 word for i64). X(name).
#define WBPF_IMM_OPS(X)                                                                            \
    X(i32_add)                                                                                     \
    X(i32_sub)                                                                                     \
    X(i32_mul)                                                                                     \
    X(i32_and)                                                                                     \
    X(i32_or)                                                                                      \
    X(i32_xor) X(i32_shl) X(i32_shr_s) X(i32_shr_u) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u)    \
        X(i32_gt_s) X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i64_add)         \
            X(i64_sub) X(i64_mul) X(i64_and) X(i64_or) X(i64_xor) X(i64_shl) X(i64_shr_s)          \
                X(i64_shr_u) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s) X(i64_gt_u)   \
                    X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) X(i32_rotl) X(i32_rotr)    \
                        X(i64_rotl) X(i64_rotr)

// Integer comparisons fused with a conditional branch (`br_NAME`: [a, b, target];
// `br_NAME_imm`: [a, imm32, target] for i32, [a, target] + imm64 word for i64). X(name).
#define WBPF_CMP_OPS(X)                                                                            \
    X(i32_eq)                                                                                      \
    X(i32_ne)                                                                                      \
    X(i32_lt_s)                                                                                    \
    X(i32_lt_u)                                                                                    \
    X(i32_gt_s)                                                                                    \
    X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i64_eq) X(i64_ne) X(i64_lt_s)    \
        X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u)

// i32 comparisons fused with a preceding `add` of a constant and a conditional branch, for
// counted loops (`add_br_NAME`: [dst, a, addend, b slot, target]; `add_br_NAME_imm`: [dst, a,
// addend, imm32, target]): dst = a + addend, then branch if `dst NAME b`. X(name).
#define WBPF_CMP32_OPS(X)                                                                          \
    X(i32_eq)                                                                                      \
    X(i32_ne)                                                                                      \
    X(i32_lt_s)                                                                                    \
    X(i32_lt_u)                                                                                    \
    X(i32_gt_s)                                                                                    \
    X(i32_gt_u)                                                                                    \
    X(i32_le_s)                                                                                    \
    X(i32_le_u)                                                                                    \
    X(i32_ge_s)                                                                                    \
    X(i32_ge_u)

// Everything else. Operands in brackets ("slot" = slot offset; "target" = branch offset).
#define WBPF_OTHER_OPS(X)                                                                          \
    X(unreachable)   /* [] */                                                                      \
    X(br)            /* [target] */                                                                \
    X(br_if)         /* [cond slot, target] */                                                     \
    X(br_unless)     /* [cond slot, target] */                                                     \
    X(br_table)      /* [index slot, n, target x (n + 1)] */                                       \
    X(ret)           /* [] results already in fp[0..] */                                           \
    X(call)          /* [function index, first-argument slot] */                                   \
    X(call_indirect) /* [type index, table index, element-index slot, first-argument slot] */      \
    X(copy)          /* [dst, src] 64-bit move */                                                  \
    X(const32)       /* [dst, imm32] */                                                            \
    X(const64)       /* [dst] + imm64 */                                                           \
    X(select)        /* [dst, a, b, cond] */                                                       \
    X(global_get)    /* [dst, global index] */                                                     \
    X(global_set)    /* [global index, src] */                                                     \
    X(ref_is_null)   /* [dst, a] */                                                                \
    X(ref_func)      /* [dst, function index] */                                                   \
    X(table_get)     /* [dst, table, index slot] */                                                \
    X(table_set)     /* [table, index slot, value slot] */                                         \
    X(table_size)    /* [dst, table] */                                                            \
    X(table_grow)    /* [dst, table, init slot, delta slot] */                                     \
    X(table_fill)    /* [table, index slot, value slot, count slot] */                             \
    X(table_copy)    /* [dst table, src table, d slot, s slot, n slot] */                          \
    X(table_init)    /* [table, elem segment, d slot, s slot, n slot] */                           \
    X(elem_drop)     /* [elem segment] */                                                          \
    X(memory_size)   /* [dst] */                                                                   \
    X(memory_grow)   /* [dst, delta slot] */                                                       \
    X(memory_fill)   /* [d slot, value slot, n slot] */                                            \
    X(memory_copy)   /* [d slot, s slot, n slot] */                                                \
    X(memory_init)   /* [data segment, d slot, s slot, n slot] */                                  \
    X(data_drop)     /* [data segment] */                                                          \
    X(i32_load)      /* loads: [dst, address slot, offset] */                                      \
    X(i64_load)                                                                                    \
    X(f32_load)                                                                                    \
    X(f64_load)                                                                                    \
    X(i32_load8_s)                                                                                 \
    X(i32_load8_u)                                                                                 \
    X(i32_load16_s)                                                                                \
    X(i32_load16_u)                                                                                \
    X(i64_load8_s)                                                                                 \
    X(i64_load8_u)                                                                                 \
    X(i64_load16_s)                                                                                \
    X(i64_load16_u)                                                                                \
    X(i64_load32_s)                                                                                \
    X(i64_load32_u)                                                                                \
    X(i32_store) /* stores: [address slot, value slot, offset] */                                  \
    X(i64_store)                                                                                   \
    X(f32_store)                                                                                   \
    X(f64_store)                                                                                   \
    X(i32_store8)                                                                                  \
    X(i32_store16)                                                                                 \
    X(i64_store8)                                                                                  \
    X(i64_store16)                                                                                 \
    X(i64_store32)                                                                                 \
    X(i32_load_ai) /* loads at (u32)(address + imm) + offset: [dst, address slot, offset, imm] */  \
    X(i64_load_ai)                                                                                 \
    X(f32_load_ai)                                                                                 \
    X(f64_load_ai)                                                                                 \
    X(i32_load8_s_ai)                                                                              \
    X(i32_load8_u_ai)                                                                              \
    X(i32_load16_s_ai)                                                                             \
    X(i32_load16_u_ai)                                                                             \
    X(i64_load8_s_ai)                                                                              \
    X(i64_load8_u_ai)                                                                              \
    X(i64_load16_s_ai)                                                                             \
    X(i64_load16_u_ai)                                                                             \
    X(i64_load32_s_ai)                                                                             \
    X(i64_load32_u_ai)                                                                             \
    X(i32_store_ai) /* stores at (u32)(address + imm) + offset: [address, value, offset, imm] */   \
    X(i64_store_ai)                                                                                \
    X(f32_store_ai)                                                                                \
    X(f64_store_ai)                                                                                \
    X(i32_store8_ai)                                                                               \
    X(i32_store16_ai)                                                                              \
    X(i64_store8_ai)                                                                               \
    X(i64_store16_ai)                                                                              \
    X(i64_store32_ai)                                                                              \
    X(move8)  /* [src, src offset, src imm, dst, dst offset, dst imm]: a load feeding a store */   \
    X(move16) /* of the same width; addresses as the _ai forms: (u32)(slot + imm) + offset */      \
    X(move32)                                                                                      \
    X(move64)                                                                                      \
    X(i32_shl_or_shr) /* [dst, a, ka, b, kb]: (a << ka) | (b >> kb), unsigned, ka/kb masked */    \
    X(i64_shl_or_shr)                                                                              \
    X(i32_store_shl_or_shr) /* [address, offset, imm, a, ka, b, kb]: i32.store (_ai address) */   \
    X(i64_store_shl_or_shr) /* of a shl_or_shr result */                                          \
    X(store8_const)  /* [address, offset, imm, value32]: a constant stored, _ai address; */        \
    X(store16_const) /* store64_const zero-extends value32 (larger i64 constants are not */        \
    X(store32_const) /* fused) */                                                                  \
    X(store64_const)                                                                               \
    X(br_i32_test_imm)   /* [a, mask, target]: branch if (a & mask) != 0 */                        \
    X(br_i32_test_z_imm) /* [a, mask, target]: branch if (a & mask) == 0 */                        \
    X(i32_xor_rotl_imm)  /* [dst, a, b, k]: rotl(a ^ b, k), k masked (ARX ciphers, hashes) */      \
    X(f64_add_imm)       /* [dst, a] + f64 bits: a + imm */                                        \
    X(f64_sub_imm)       /* a - imm */                                                             \
    X(f64_mul_imm)       /* a * imm */                                                             \
    X(f64_div_imm)       /* a / imm */                                                             \
    X(f64_imm_sub)       /* imm - a */                                                             \
    X(f64_imm_div)       /* imm / a */                                                             \
    X(f64_add_mem)       /* [dst, a, address, offset, imm]: a + m, m the f64 at the _ai address */ \
    X(f64_sub_mem)       /* a - m */                                                               \
    X(f64_mul_mem)       /* a * m */                                                               \
    X(f64_div_mem)       /* a / m */                                                               \
    X(f64_mem_sub)       /* m - a */                                                               \
    X(f64_mem_div)       /* m / a */                                                               \
    X(jit_enter)         /* word 1: a NativeEntry (jit.hpp); replaces a translated instruction */
// clang-format on

/// Every internal instruction kind; the handler table is indexed by it.
enum class IOp : uint16_t {
#define WBPF_X_NUM(name, ...) name,
#define WBPF_X_NAME(name) name,
#define WBPF_X_IMM(name) name##_imm,
#define WBPF_X_BR(name) br_##name, br_##name##_imm,
#define WBPF_X_ADD_BR(name) add_br_##name, add_br_##name##_imm,
    WBPF_NUMERIC_OPS(WBPF_X_NUM) WBPF_TRUNC_SAT_OPS(WBPF_X_NUM) WBPF_IMM_OPS(WBPF_X_IMM)
        WBPF_CMP_OPS(WBPF_X_BR) WBPF_CMP32_OPS(WBPF_X_ADD_BR) WBPF_OTHER_OPS(WBPF_X_NAME)
#undef WBPF_X_NUM
#undef WBPF_X_NAME
#undef WBPF_X_IMM
#undef WBPF_X_BR
#undef WBPF_X_ADD_BR
            count_
};

/// The compiled form of one function body.
struct CompiledFunction {
    std::vector<uint64_t> code; ///< instructions, see the layout above
    uint32_t param_slots = 0;   ///< number of parameters
    uint32_t local_slots = 0;   ///< declared locals, zeroed at entry (after the params)
    /// Slots the frame may use: params + locals + maximum operand-stack height (+ the room a
    /// call needs for its callee's results, covered by the operand height).
    uint32_t frame_slots = 0;
    uint32_t result_count = 0;
    /// code.data(), for native code's indirect calls (set by jit_compile; code never moves
    /// once compiled).
    const uint64_t* entry = nullptr;
    /// For the JIT's deferred slot stores: at the start word of each instruction, the
    /// operand-stack height (in slots above the locals) when the wasm instruction that
    /// emitted it began, and 0 at code.size(). At the start of an instruction, no operand slot
    /// at or above the larger of its height and the next instruction's holds a value read
    /// before it is written; at its end, none at or above the larger of the heights of the
    /// next instruction and of its branch targets. live_height_unknown: too high to record,
    /// every slot counts. Empty when not recorded; jit_compile frees it.
    std::vector<uint16_t> live_heights;
};

/// A live_heights entry too high to record: every slot counts as live.
constexpr uint16_t live_height_unknown = UINT16_MAX;

/// The interpreter's handler addresses indexed by IOp (interpreter.cpp). The compiler stores
/// these in word 0 of every instruction.
const void* const* interpreter_handler_table() noexcept;

} // namespace wbpf::wasm
