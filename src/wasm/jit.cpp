// The baseline JIT (x86-64): one template of machine code per internal instruction, with a
// register cache within straight-line code.
//
// DESIGN (docs/ENGINE.md, "Native code"):
//   - The input is the interpreter's internal code, after validation and fusion; the output
//     keeps its frame layout exactly: every value lives in its frame slot ([fp + offset]) at
//     every branch, join, call, return and exit, so the interpreter and native code can hand
//     over there with nothing to convert.
//   - The slot cache: within a run of code that control enters only at its top, six
//     callee-saved registers remember which slots they hold, so an instruction reads the
//     value an earlier one produced from a register. A result's store to its slot is
//     deferred (commit()) until one of those points, or until its register is reused (flush);
//     a result overwritten before then is never stored. So the cache is simply forgotten at
//     joins and exits.
//   - Instructions without a template (floats, tables, calls of imports, ...) are left to the
//     interpreter: native code reaching one returns its address, the interpreter runs it, and
//     the instruction after it becomes an entry point (patched to `jit_enter`, whose word 1
//     holds the native entry). Function starts are entry points too.
//   - Traps: division checks and `unreachable` return the TrapKind; out-of-bounds accesses
//     fault on the guard pages like the interpreter's (or, in builds with explicit bounds
//     checks, compare against the memory size and return the trap); back-edges check the
//     interrupt flag and return TrapKind::interrupted.
//   - Calls (direct, through a per-callee call prologue, and call_indirect) of functions of the
//     same instance and returns into same-instance callers are native too: they push and pop
//     the interpreter's CallFrames (NativeState) exactly as its call and ret handlers do, and
//     make a machine call, so that the return is a machine `ret` the CPU predicts. A CallFrame
//     has such a return address exactly when the machine stack is below the trampoline's
//     (NativeState::entry_sp); any other return lands on its return site's native code through
//     word 1 of the `jit_enter` there. Every exit resets the machine stack to entry_sp, so the
//     interpreter may resume a frame anywhere; native calls nest at most native_call_stack
//     bytes deep.
//   - Pinned registers: rdi = fp, rsi = memory 0 base, r8 = NativeState*, r9 = globals,
//     r10 = &interrupt flag, r11 = memory size; rax, rcx and rdx are scratch; rbx, rbp and
//     r12-r15 are the slot cache. Every exit goes through a tail that stores fp back into the
//     NativeState, resets the machine stack and restores the cache registers.
// A module's code is translated at once (at load, or when an instance gets hot), into one
// buffer mapped read+execute at the end.
#include "jit.hpp"

#include "code.hpp"
#include "interpreter.hpp"
#include "x64_assembler.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cpuid.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace wbpf::wasm {

// ---- NativeCode ----

NativeCode::NativeCode(const uint8_t* code, size_t size) : size_(size) {
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (size + page - 1) / page * page;
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    std::memcpy(p, code, size);
    if (mprotect(p, mapped_, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, mapped_);
        throw std::bad_alloc();
    }
    base_ = static_cast<uint8_t*>(p);
}

NativeCode::~NativeCode() {
    munmap(base_, mapped_);
}

namespace {

using namespace x64;

/// LZCNT, TZCNT (BMI1) and POPCNT, read once with CPUID (glibc's <sys/platform/x86.h> would
/// save that, but it is C only: clang rejects its _Bool in C++). Without them the bit counts stay
/// interpreted: LZCNT and TZCNT would silently decode as BSR and BSF on older CPUs.
struct CpuFeatures {
    bool lzcnt = false;
    bool tzcnt = false;
    bool popcnt = false;
};

CpuFeatures detect_cpu() {
    CpuFeatures f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) f.popcnt = (c >> 23) & 1;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) f.tzcnt = (b >> 3) & 1;  // BMI1
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) f.lzcnt = (c >> 5) & 1; // ABM
    return f;
}

const CpuFeatures& cpu() {
    static const CpuFeatures features = detect_cpu();
    return features;
}

/// Handler address -> instruction kind: open addressing with a multiplicative hash (a
/// std::unordered_map's modulo per lookup was most of the translation time at load).
/// Identical handlers may share an address; any kind mapped to it then has the same behaviour
/// and size, so either translation is right.
class HandlerKinds {
public:
    HandlerKinds() {
        const void* const* table = interpreter_handler_table();
        for (size_t i = 0; i < static_cast<size_t>(IOp::count_); ++i) {
            const auto key = reinterpret_cast<uint64_t>(table[i]);
            size_t slot = hash(key);
            while (keys_[slot] != 0 && keys_[slot] != key)
                slot = (slot + 1) & (size - 1);
            if (keys_[slot] == 0) {
                keys_[slot] = key;
                kinds_[slot] = static_cast<IOp>(i);
            }
        }
    }
    /// The kind of the handler at `key`; false if it is no handler.
    bool find(uint64_t key, IOp& kind) const noexcept {
        for (size_t slot = hash(key); keys_[slot] != 0; slot = (slot + 1) & (size - 1)) {
            if (keys_[slot] == key) {
                kind = kinds_[slot];
                return true;
            }
        }
        return false;
    }

private:
    static constexpr size_t size = 2048; // > 4x the kinds: short probe runs
    static size_t hash(uint64_t key) noexcept {
        return static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> 53); // top 11 bits
    }
    uint64_t keys_[size] = {};
    IOp kinds_[size] = {};
};
static_assert(static_cast<size_t>(IOp::count_) * 4 < 2048);

const HandlerKinds& kind_of_handler() {
    static const HandlerKinds kinds;
    return kinds;
}

constexpr bool is_i64_name(const char* name) {
    return name[1] == '6';
}

/// Number of 32-bit operands and whether a 64-bit immediate word follows (br_table aside).
struct Shape {
    uint8_t operands;
    bool imm64;
};

// Case lists by instruction kind: different kinds with the same outcome are the point.
// NOLINTBEGIN(bugprone-branch-clone)
Shape shape_of(IOp op) {
    switch (op) {
// X-macro case lists: clang-format 14 does not keep them intact.
// clang-format off
#define WBPF_S_NUM(name, opc, arity, ...)                                                          \
    case IOp::name: return {static_cast<uint8_t>((arity) + 1), false};
#define WBPF_S_SAT(name, ...)                                                                      \
    case IOp::name: return {2, false};
#define WBPF_S_IMM(name)                                                                           \
    case IOp::name##_imm: return is_i64_name(#name) ? Shape{2, true} : Shape{3, false};
#define WBPF_S_BR(name)                                                                            \
    case IOp::br_##name: return {3, false};                                                        \
    case IOp::br_##name##_imm: return is_i64_name(#name) ? Shape{2, true} : Shape{3, false};
#define WBPF_S_ADD_BR(name)                                                                        \
    case IOp::add_br_##name:                                                                       \
    case IOp::add_br_##name##_imm: return {5, false};
        WBPF_NUMERIC_OPS(WBPF_S_NUM)
        WBPF_TRUNC_SAT_OPS(WBPF_S_SAT)
        WBPF_IMM_OPS(WBPF_S_IMM)
        WBPF_CMP_OPS(WBPF_S_BR)
        WBPF_CMP32_OPS(WBPF_S_ADD_BR)
#undef WBPF_S_NUM
#undef WBPF_S_SAT
#undef WBPF_S_IMM
#undef WBPF_S_BR
#undef WBPF_S_ADD_BR
        // clang-format on
    case IOp::unreachable:
    case IOp::ret:
    case IOp::jit_enter: return {0, false};
    case IOp::br:
    case IOp::elem_drop:
    case IOp::memory_size:
    case IOp::data_drop: return {1, false};
    case IOp::const64: return {1, true};
    case IOp::br_if:
    case IOp::br_unless:
    case IOp::call:
    case IOp::copy:
    case IOp::const32:
    case IOp::global_get:
    case IOp::global_set:
    case IOp::ref_is_null:
    case IOp::ref_func:
    case IOp::table_size:
    case IOp::memory_grow: return {2, false};
    case IOp::f64_add_imm:
    case IOp::f64_sub_imm:
    case IOp::f64_mul_imm:
    case IOp::f64_div_imm:
    case IOp::f64_imm_sub:
    case IOp::f64_imm_div: return {2, true};
    case IOp::table_get:
    case IOp::table_set:
    case IOp::memory_fill:
    case IOp::memory_copy:
    case IOp::br_i32_test_imm:
    case IOp::br_i32_test_z_imm: return {3, false};
    case IOp::call_indirect:
    case IOp::select:
    case IOp::table_grow:
    case IOp::table_fill:
    case IOp::memory_init:
    case IOp::i32_xor_rotl_imm:
    case IOp::store8_const:
    case IOp::store16_const:
    case IOp::store32_const:
    case IOp::store64_const: return {4, false};
    case IOp::table_copy:
    case IOp::table_init:
    case IOp::i32_shl_or_shr:
    case IOp::i64_shl_or_shr:
    case IOp::f64_add_mem:
    case IOp::f64_sub_mem:
    case IOp::f64_mul_mem:
    case IOp::f64_div_mem:
    case IOp::f64_mem_sub:
    case IOp::f64_mem_div: return {5, false};
    case IOp::move8:
    case IOp::move16:
    case IOp::move32:
    case IOp::move64: return {6, false};
    case IOp::i32_store_shl_or_shr:
    case IOp::i64_store_shl_or_shr: return {7, false};
    case IOp::br_table: return {0, false}; // variable: see words_of
    default: break;
    }
    if (op >= IOp::i32_load && op <= IOp::i64_store32) return {3, false};
    if (op >= IOp::i32_load_ai && op <= IOp::i64_store32_ai) return {4, false};
    return {0, false};
}
// NOLINTEND(bugprone-branch-clone)

uint32_t operand_at(const uint64_t* pc, uint32_t k) {
    uint32_t v;
    std::memcpy(&v, reinterpret_cast<const uint8_t*>(pc + 1) + 4 * k, 4);
    return v;
}

/// Size in words of the instruction at pc.
uint32_t words_of(IOp op, const uint64_t* pc) {
    if (op == IOp::br_table) return 1 + (2 + operand_at(pc, 1) + 1 + 1) / 2;
    const Shape s = shape_of(op);
    return 1 + (s.operands + 1u) / 2 + (s.imm64 ? 1u : 0u);
}

constexpr bool is_call(IOp k) {
    return k == IOp::call || k == IOp::call_indirect;
}

/// Native code may hand these to the interpreter at the instruction itself (a call it cannot
/// make, an overlapping memory.copy), so they must never be entry points: the interpreter
/// would enter native code there again, forever.
constexpr bool may_hand_back_itself(IOp k) {
    return is_call(k) || k == IOp::memory_copy;
}

struct Instr {
    uint32_t at;    ///< word index
    uint32_t words; ///< size
    IOp op;
    bool native; ///< has a template
};

/// The x86 condition of comparison number `i` in CMP_OPS order (eq ne lt_s lt_u gt_s gt_u le_s
/// le_u ge_s ge_u), the order every comparison family of code.hpp follows.
Cond comparison(unsigned i) {
    static constexpr Cond conds[] = {e, ne, l, b, g, a, le, be, ge, ae};
    return conds[i];
}

constexpr int32_t state_field(size_t offset) {
    return static_cast<int32_t>(offset);
}
#define WBPF_STATE(field) at(r8, state_field(offsetof(NativeState, field)))
#define WBPF_FRAME(base, field, delta)                                                             \
    at(base, static_cast<int32_t>(offsetof(CallFrame, field)) + (delta))

/// The slot cache's registers: callee-saved, so the trampoline saves them and every exit
/// restores them; native code needs no other.
constexpr int cache_size = 6;
constexpr Reg cache_regs[cache_size] = {rbx, rbp, r12, r13, r14, r15};

/// Machine stack that nested native calls may use (8 bytes each: 16,384 calls deep); a deeper
/// call is made by the interpreter, and native code resumes in the callee with a fresh stack.
constexpr int32_t native_call_stack = 128 * 1024;

/// An exit tail: stores fp into the NativeState, drops the return addresses of native calls,
/// restores the cache registers the trampoline saved and returns rax to the interpreter.
void emit_exit_tail(Assembler& as) {
    as.mov_store(W::q, WBPF_STATE(fp), rdi);
    as.mov_load(W::q, rsp, WBPF_STATE(entry_sp));
    for (int i = cache_size - 1; i >= 0; --i)
        as.pop(cache_regs[i]);
    as.ret();
}

/// With rax = an instruction's address: jumps to its native code if it is a `jit_enter`
/// (word 1), or with `call` makes a machine call of it; else exits to the interpreter there.
void emit_enter_native_or_exit(Assembler& as, Label& exit, bool call = false) {
    as.mov_imm(rcx, reinterpret_cast<uint64_t>(
                        interpreter_handler_table()[static_cast<size_t>(IOp::jit_enter)]));
    as.alu_load(W::q, Assembler::cmp, rcx, at(rax, 0));
    as.jcc(ne, exit);
    if (call)
        as.call_mem(at(rax, 8));
    else
        as.jmp_mem(at(rax, 8));
}

class FunctionTranslator {
public:
    /// A native call's jump to its callee, resolved once every function is translated.
    struct CallFixup {
        size_t rel32;    ///< the jmp's rel32 field (to the callee's call prologue)
        uint32_t callee; ///< defined-function index
    };

    FunctionTranslator(const Module& module, const CompiledFunction& cf, Assembler& as,
                       bool explicit_bounds, std::vector<CallFixup>& calls)
        : module_(module), cf_(cf), code_(cf.code.data()), as_(as),
          explicit_bounds_(explicit_bounds), calls_(calls) {}

    /// Translates; fills `entries` with (instruction word index, code offset) pairs and
    /// `start` with the code offset of instruction 0 (SIZE_MAX if it is interpreted). False
    /// when the function is not worth or not able to be translated (nothing emitted then).
    bool translate(std::vector<std::pair<uint32_t, size_t>>& entries, size_t& start);

private:
    bool decode();
    /// Every branch target (word index) of `in`, if it branches.
    void branch_targets(const Instr& in, std::vector<int64_t>& out) const;
    bool has_template(const Instr& in) const;
    void emit(const Instr& in);
    void emit_exit(uint32_t at);
    void emit_call(const Instr& in);
    void emit_call_indirect(const Instr& in);
    void emit_bulk_memory(const Instr& in);
    void emit_small_bulk_memory(bool copy, Label& general, Label& done);
    /// r = `bytes` (1, 2, 4 or 8) bytes at m, zero-extended; and the converse store.
    void load_bytes(uint32_t bytes, Reg r, const Mem& m);
    void store_bytes(uint32_t bytes, const Mem& m, Reg r);
    void emit_ret(const Instr& in);
    void emit_load(const Instr& in, IOp plain, uint32_t add);
    void emit_store(const Instr& in, IOp plain, uint32_t add);

    /// Slot `off` in memory, for the slot cache's own loads and stores.
    Mem slot(uint32_t off) const { return at(rdi, static_cast<int32_t>(off)); }
    /// Slot `off` for a template to read in memory: its pending store, if any, is made first.
    Mem slot_in(uint32_t off) {
        const int i = cached(off);
        if (i >= 0) flush(i, UINT64_MAX);
        return slot(off);
    }

    // ---- The slot cache (see the file comment) ----
    /// The cache register holding slot `s`, or -1. It holds all 8 bytes of the slot (commit).
    int cached(uint32_t s) const {
        for (int i = 0; i < cache_size; ++i)
            if (cache_[i].slot == s) return i;
        return -1;
    }
    /// dst = slot `s` (a load of width w), from its cache register if it has one.
    void load(W w, Reg dst, uint32_t s);
    /// dst OP= slot `s` (width w).
    void alu(W w, Assembler::Alu op, Reg dst, uint32_t s);
    /// The register slot `s` is cached in, else `fallback` loaded with it (width w).
    Reg in_reg(W w, uint32_t s, Reg fallback);
    /// A cache register to compute a result in: none of `sources` is cached in it, so reading
    /// them after writing it is safe; its old entry is dropped. Exception: `reuse`, the first
    /// source when the result goes to that same slot and it is no other source, keeps its
    /// register and entry, so the template's first load(reuse) into it emits nothing.
    Reg result_reg(std::initializer_list<uint32_t> sources, int64_t reuse = -1);
    /// The cache register to take next: a free one, else the least recently used one that
    /// holds none of `keep`.
    int victim(std::initializer_list<uint32_t> keep) const;
    /// Makes `r` the value of slot `dst` (a 32-bit result must be zero-extended in `r`, as
    /// every 32-bit x86 operation leaves it): a cache register holds it (`r` itself, or a
    /// copy when `r` is a scratch register) and its store to memory is pending (flush). A
    /// pending store of the slot's previous value is dropped: that value is dead. Keeps the
    /// cache past the instruction.
    void commit(uint32_t dst, Reg r);
    /// Makes the pending store of cache entry `i`, if any: all 8 bytes (a later 64-bit read
    /// of the slot, by copy, select or a call's arguments, then takes the value from the
    /// store buffer; after a 4-byte store it would stall until the store retires). A slot at
    /// or above `dead_from` holds a dead value: it is not stored.
    void flush(int i, uint64_t dead_from) {
        if (!cache_[i].dirty) return;
        cache_[i].dirty = false;
        if (cache_[i].slot >= dead_from) return;
        as_.mov_store(W::q, slot(cache_[i].slot), cache_regs[i]);
    }
    void flush(int i) { flush(i, dead_after_); }
    /// The first slot (a byte offset) above which no value is live at any of the instruction
    /// starts `words` (see live_heights in code.hpp); UINT64_MAX when unknown.
    uint64_t dead_above(const std::vector<int64_t>& words) const;
    /// For the instruction being translated: the first dead slot after it (at the next
    /// instruction and its branch targets), and before it (where an exit hands it to the
    /// interpreter, which reads its operands, or a call passes its arguments).
    uint64_t dead_after_ = UINT64_MAX;
    uint64_t dead_before_ = UINT64_MAX;
    /// Makes every pending store: before anything that may read slots in memory (a branch, a
    /// join, an exit, a call or return) and before a cache register is reused. `before`: at
    /// the start of the instruction (an exit or a call), else at its end.
    void flush_all(bool before = false) {
        for (int i = 0; i < cache_size; ++i)
            flush(i, before ? dead_before_ : dead_after_);
    }
    /// The instruction writes no slot: the cache stays valid past it.
    void keep_cache() { kept_ = true; }
    void drop_cache() {
        flush_all();
        for (auto& c : cache_)
            c.slot = UINT32_MAX;
    }
    struct CacheEntry {
        uint32_t slot = UINT32_MAX; ///< UINT32_MAX: free
        uint64_t used = 0;          ///< for least-recently-used replacement
        bool known = false;         ///< the slot holds `value`, a constant of the code
        uint64_t value = 0;
        /// The register holds the slot's low 32 bits zero-extended (an i32 loaded for an
        /// address; its upper half is unspecified in the slot), so it can serve as an index.
        bool zero_extended = false;
        /// The slot's store is pending: memory holds an older value (see flush).
        bool dirty = false;
    };
    /// True (and `value` set) when slot `s` is cached and holds a known constant.
    bool constant_in(uint32_t s, uint64_t& value) const {
        for (const CacheEntry& c : cache_) {
            if (c.slot == s && c.known) {
                value = c.value;
                return true;
            }
        }
        return false;
    }
    CacheEntry cache_[cache_size];
    uint64_t tick_ = 0;
    bool kept_ = false;
    uint32_t op(const Instr& in, uint32_t k) const { return operand_at(code_ + in.at, k); }
    uint64_t imm64(const Instr& in) const { return code_[in.at + in.words - 1]; }
    int64_t target(const Instr& in, uint32_t k) const {
        return static_cast<int64_t>(in.at) + static_cast<int32_t>(op(in, k));
    }
    Label& label_at(int64_t word) { return labels_[static_cast<size_t>(word)]; }
    bool is_start(int64_t word) const {
        return word >= 0 && static_cast<size_t>(word) < starts_.size() &&
               starts_[static_cast<size_t>(word)];
    }

    /// The operand of a guest access at (u32)(slot + add) + offset: [rsi + base + disp]. The
    /// base is the slot's cache register when it holds the value zero-extended; when `add`
    /// is 0, a missed slot is loaded (32-bit) into a cache register for the next access
    /// through the same pointer, evicting none of `keep` (the slots the template still
    /// reads from registers). Otherwise the base is `scratch`. With explicit bounds checks,
    /// also checks the access (rcx).
    Mem address(uint32_t addr_slot, uint32_t add, uint32_t offset, uint32_t bytes,
                Reg scratch = rax, std::initializer_list<uint32_t> keep = {});
    /// r = r OP imm (64-bit): an immediate when it fits sign-extended, else through rcx.
    void alu_imm64(Assembler::Alu alu, uint64_t imm, Reg r);
    /// Slot `dst` = 1 if condition `c` holds on the flags, else 0 (an i32).
    void set_flag_result(Cond c, uint32_t dst, std::initializer_list<uint32_t> sources) {
        const Reg r = result_reg(sources);
        as_.setcc(c, r);
        as_.movzx8_rr(r, r);
        commit(dst, r);
    }
    /// The shared exit returning `kind`, marked as used.
    Label& trap_label(TrapKind kind) {
        trap_used_[static_cast<size_t>(kind)] = true;
        return trap_labels_[static_cast<size_t>(kind)];
    }
    void jump_to(const Instr& in, int64_t target_word);
    void cond_jump(const Instr& in, Cond c, int64_t target_word);

    const Module& module_;
    const CompiledFunction& cf_;
    const uint64_t* code_;
    Assembler& as_;
    bool explicit_bounds_;
    std::vector<CallFixup>& calls_;
    Label exit_; ///< rax = the result; stores fp into the NativeState and returns
    std::vector<Instr> instrs_;
    std::vector<bool> starts_;
    std::vector<Label> labels_;
    Label trap_labels_[16];
    /// br_table entries to fill once every label is bound: offset of the target from the table.
    struct TableEntry {
        size_t at;
        size_t table;
        int64_t target_word;
    };
    std::vector<TableEntry> tables_;
    bool trap_used_[16] = {};
};

void FunctionTranslator::branch_targets(const Instr& in, std::vector<int64_t>& out) const {
    const IOp k = in.op;
    if (k == IOp::br) {
        out.push_back(target(in, 0));
    } else if (k == IOp::br_if || k == IOp::br_unless) {
        out.push_back(target(in, 1));
    } else if (k == IOp::br_i32_test_imm || k == IOp::br_i32_test_z_imm) {
        out.push_back(target(in, 2));
    } else if (k == IOp::br_table) {
        for (uint32_t t = 0; t <= op(in, 1); ++t)
            out.push_back(target(in, 2 + t));
    } else if (k >= IOp::br_i32_eq && k <= IOp::br_i64_ge_u_imm) {
        const unsigned rel = static_cast<unsigned>(k) - static_cast<unsigned>(IOp::br_i32_eq);
        out.push_back(target(in, rel >= 20 && rel % 2 == 1 ? 1 : 2));
    } else if (k >= IOp::add_br_i32_eq && k <= IOp::add_br_i32_ge_u_imm) {
        out.push_back(target(in, 4));
    }
}

bool FunctionTranslator::decode() {
    const auto& kinds = kind_of_handler();
    const size_t n = cf_.code.size();
    starts_.assign(n, false);
    for (size_t w = 0; w < n;) {
        IOp k{};
        if (!kinds.find(code_[w], k)) return false;
        if (k == IOp::jit_enter) return false;
        const uint32_t words = words_of(k, code_ + w);
        if (w + words > n) return false;
        starts_[w] = true;
        instrs_.push_back(Instr{static_cast<uint32_t>(w), words, k, false});
        w += words;
    }
    return true;
}

// NOLINTBEGIN(bugprone-branch-clone): case lists by kind, as in shape_of
bool FunctionTranslator::has_template(const Instr& in) const {
    const IOp k = in.op;
    switch (k) {
    case IOp::i32_clz:
    case IOp::i64_clz: return cpu().lzcnt;
    case IOp::i32_ctz:
    case IOp::i64_ctz: return cpu().tzcnt;
    case IOp::i32_popcnt:
    case IOp::i64_popcnt: return cpu().popcnt;
    case IOp::copy:
    case IOp::const32:
    case IOp::const64:
    case IOp::select:
    case IOp::global_get:
    case IOp::global_set:
    case IOp::memory_size:
    case IOp::unreachable:
    case IOp::i32_eqz:
    case IOp::i64_eqz:
    case IOp::i32_wrap_i64:
    case IOp::i64_extend_i32_s:
    case IOp::i64_extend_i32_u:
    case IOp::i32_extend8_s:
    case IOp::i32_extend16_s:
    case IOp::i64_extend8_s:
    case IOp::i64_extend16_s:
    case IOp::i64_extend32_s:
    case IOp::i32_div_s:
    case IOp::i32_div_u:
    case IOp::i32_rem_s:
    case IOp::i32_rem_u:
    case IOp::i64_div_s:
    case IOp::i64_div_u:
    case IOp::i64_rem_s:
    case IOp::i64_rem_u:
    case IOp::move8:
    case IOp::move16:
    case IOp::move32:
    case IOp::move64:
    case IOp::i32_shl_or_shr:
    case IOp::i64_shl_or_shr:
    case IOp::i32_store_shl_or_shr:
    case IOp::i64_store_shl_or_shr:
    case IOp::store8_const:
    case IOp::store16_const:
    case IOp::store32_const:
    case IOp::store64_const:
    case IOp::i32_xor_rotl_imm: return true;
    case IOp::ret: return true;
    case IOp::call: {
        const uint32_t f = op(in, 0);
        if (f < module_.imported_function_count) return false; // host or other instance
        const CompiledFunction& callee = *module_.compiled[f - module_.imported_function_count];
        return callee.frame_slots < INT32_MAX / 16 && op(in, 1) <= INT32_MAX / 2;
    }
    case IOp::call_indirect: return op(in, 3) <= INT32_MAX / 2;
    case IOp::memory_copy:
    case IOp::memory_fill: return true;
    case IOp::br: return is_start(target(in, 0));
    case IOp::br_table:
        for (uint32_t t = 0; t <= op(in, 1); ++t)
            if (!is_start(target(in, 2 + t))) return false;
        return true;
    case IOp::br_if:
    case IOp::br_unless: return is_start(target(in, 1));
    case IOp::br_i32_test_imm:
    case IOp::br_i32_test_z_imm: return is_start(target(in, 2));
    default: break;
    }
    // Plain binary integer ops, their _imm forms, comparisons: the X-macro ranges.
#define WBPF_T_BIN(name)                                                                           \
    case IOp::i32_##name:                                                                          \
    case IOp::i64_##name:                                                                          \
    case IOp::i32_##name##_imm:                                                                    \
    case IOp::i64_##name##_imm:
    switch (k) {
        WBPF_T_BIN(add)
        WBPF_T_BIN(sub)
        WBPF_T_BIN(mul)
        WBPF_T_BIN(and)
        WBPF_T_BIN(or)
        WBPF_T_BIN(xor)
        WBPF_T_BIN(shl)
        WBPF_T_BIN(shr_s)
        WBPF_T_BIN(shr_u)
        WBPF_T_BIN(rotl)
        WBPF_T_BIN(rotr)
        WBPF_T_BIN(eq)
        WBPF_T_BIN(ne)
        WBPF_T_BIN(lt_s)
        WBPF_T_BIN(lt_u)
        WBPF_T_BIN(gt_s)
        WBPF_T_BIN(gt_u)
        WBPF_T_BIN(le_s)
        WBPF_T_BIN(le_u)
        WBPF_T_BIN(ge_s)
        WBPF_T_BIN(ge_u)
        return true;
    default: break;
    }
#undef WBPF_T_BIN
    if (k >= IOp::br_i32_eq && k <= IOp::br_i64_ge_u_imm) {
        // br_i64_NAME_imm keeps its target in operand 1 (the constant is a 64-bit word).
        const unsigned rel = static_cast<unsigned>(k) - static_cast<unsigned>(IOp::br_i32_eq);
        return is_start(target(in, rel >= 20 && rel % 2 == 1 ? 1 : 2));
    }
    if (k >= IOp::add_br_i32_eq && k <= IOp::add_br_i32_ge_u_imm) return is_start(target(in, 4));
    if (k >= IOp::i32_load && k <= IOp::i64_store32_ai) return true;
    return false;
}
// NOLINTEND(bugprone-branch-clone)

void FunctionTranslator::emit_exit(uint32_t at_word) {
    flush_all(true);
    as_.mov_imm(rax, reinterpret_cast<uint64_t>(code_ + at_word));
    as_.jmp(exit_);
}

/// Offsets of TableInstance::native_data and native_size. TableInstance is no standard-layout
/// type (offsetof is not portable there), so they are measured on an empty table.
struct TableOffsets {
    int32_t data;
    int32_t size;
};
const TableOffsets& table_offsets() {
    static const TableOffsets offsets = [] {
        TableElementBudget budget(0);
        const TableInstance table(TableType{}, budget);
        const auto* base = reinterpret_cast<const char*>(&table);
        return TableOffsets{
            static_cast<int32_t>(reinterpret_cast<const char*>(&table.native_data) - base),
            static_cast<int32_t>(reinterpret_cast<const char*>(&table.native_size) - base)};
    }();
    return offsets;
}

/// The interpreter's checks before a call, with rax = the end of the callee's frame: value
/// stack, call depth and interrupt, and room on the machine stack for one more native call;
/// any failure jumps to `fail`. Leaves rax = frame_top.
void emit_call_checks(Assembler& as, Label& fail) {
    as.alu_load(W::q, Assembler::cmp, rax, WBPF_STATE(stack_end));
    as.jcc(a, fail);
    as.alu_load(W::q, Assembler::cmp, rsp, WBPF_STATE(sp_floor));
    as.jcc(be, fail);
    as.mov_load(W::q, rax, WBPF_STATE(frame_top));
    as.alu_load(W::q, Assembler::cmp, rax, WBPF_STATE(frames_end));
    as.jcc(ae, fail);
    as.cmp_mem_imm(W::d, at(r10, 0), 0);
    as.jcc(ne, fail);
}

/// Pushes the caller's CallFrame {return pc (rcx), fp (rdi), cur} at frame_top (rax), advances
/// frame_top and makes `callee` (a FunctionInstance*; not rax or rcx) current, as the
/// interpreter's do_call. Leaves the new frame_top in rax. (The fault handler reads cur and
/// frame_top from the NativeState while native code runs: nothing else to publish.)
void emit_frame_push(Assembler& as, Reg callee) {
    as.mov_store(W::q, WBPF_FRAME(rax, return_pc, 0), rcx);
    as.mov_store(W::q, WBPF_FRAME(rax, fp, 0), rdi);
    as.mov_load(W::q, rcx, WBPF_STATE(cur));
    as.mov_store(W::q, WBPF_FRAME(rax, function, 0), rcx);
    as.alu_imm(W::q, Assembler::add, rax, static_cast<int32_t>(sizeof(CallFrame)));
    as.mov_store(W::q, WBPF_STATE(frame_top), rax);
    as.mov_store(W::q, WBPF_STATE(cur), callee);
}

/// `call` of a function of this module: rcx = the return site's pc, rdx = the callee's frame,
/// then a machine call of the callee's call prologue (emit_call_prologue), which does the rest
/// of the interpreter's do_call once for all call sites: they stay small, which matters as much
/// as their speed when each event finds the code cold in the caches. The callee's `ret`
/// returns right after it, to the return site's code.
void FunctionTranslator::emit_call(const Instr& in) {
    flush_all(true); // the callee reads its arguments in memory
    const uint32_t defined = op(in, 0) - module_.imported_function_count;
    as_.mov_imm(rcx, reinterpret_cast<uint64_t>(code_ + in.at + in.words));
    as_.lea(rdx, at(rdi, static_cast<int32_t>(op(in, 1))));
    as_.byte(0xe8);
    calls_.push_back(CallFixup{as_.size(), defined});
    as_.u32(0);
}

/// `call_indirect` [type, table, index slot, argument slot] of a function of this instance:
/// the table lookup, the checks of the interpreter's handler and its do_call, natively. An
/// index out of range, a null entry, another type, a function of another instance or a host
/// function, and the checks of a call, exit to the interpreter at the instruction, which then
/// traps or makes the call as it always does. rbx = the callee, rbp = its CompiledFunction.
void FunctionTranslator::emit_call_indirect(const Instr& in) {
    flush_all(true); // the callee reads its arguments in memory
    const auto arg_slot = static_cast<int32_t>(op(in, 3));
    Label leave;
    as_.mov_load(W::q, rax, WBPF_STATE(tables));
    as_.mov_load(W::q, rax, at(rax, static_cast<int32_t>(op(in, 1) * 8)));
    load(W::d, rcx, op(in, 2));
    as_.alu_load(W::q, Assembler::cmp, rcx, at(rax, table_offsets().size));
    as_.jcc(ae, leave);
    as_.mov_load(W::q, rax, at(rax, table_offsets().data));
    as_.shift_imm(W::q, Assembler::shl, rcx, 3);
    as_.mov_load(W::q, rbx, at(rax, rcx, 0));
    as_.test_rr(W::q, rbx, rbx);
    as_.jcc(e, leave);
    as_.mov_load(W::q, rax, WBPF_STATE(type_ids));
    as_.mov_load(W::d, rax, at(rax, static_cast<int32_t>(op(in, 0) * 4)));
    as_.alu_load(W::d, Assembler::cmp, rax,
                 at(rbx, static_cast<int32_t>(offsetof(FunctionInstance, type_id))));
    as_.jcc(ne, leave);
    // Same instance: neither a host function (no instance) nor another module's.
    as_.mov_load(W::q, rax, WBPF_STATE(instance));
    as_.alu_load(W::q, Assembler::cmp, rax,
                 at(rbx, static_cast<int32_t>(offsetof(FunctionInstance, instance))));
    as_.jcc(ne, leave);
    as_.mov_load(W::q, rbp, at(rbx, static_cast<int32_t>(offsetof(FunctionInstance, code))));
    // Value stack: fp + arg_slot + frame_slots * 8 <= stack_end.
    as_.mov_load(W::d, rax, at(rbp, static_cast<int32_t>(offsetof(CompiledFunction, frame_slots))));
    as_.shift_imm(W::q, Assembler::shl, rax, 3);
    as_.alu_rr(W::q, Assembler::add, rax, rdi);
    as_.alu_imm(W::q, Assembler::add, rax, arg_slot);
    emit_call_checks(as_, leave);
    as_.mov_imm(rcx, reinterpret_cast<uint64_t>(code_ + in.at + in.words));
    emit_frame_push(as_, rbx);
    as_.lea(rdi, at(rdi, arg_slot));
    // Zero the callee's declared locals: local_slots words after param_slots.
    Label zeroed, loop;
    as_.mov_load(W::d, rcx, at(rbp, static_cast<int32_t>(offsetof(CompiledFunction, local_slots))));
    as_.test_rr(W::d, rcx, rcx);
    as_.jcc(e, zeroed);
    as_.mov_load(W::d, rdx, at(rbp, static_cast<int32_t>(offsetof(CompiledFunction, param_slots))));
    as_.shift_imm(W::q, Assembler::shl, rdx, 3);
    as_.alu_rr(W::q, Assembler::add, rdx, rdi);
    as_.alu_rr(W::d, Assembler::xor_, rax, rax);
    as_.bind(loop);
    as_.mov_store(W::q, at(rdx, 0), rax);
    as_.alu_imm(W::q, Assembler::add, rdx, 8);
    as_.alu_imm(W::d, Assembler::sub, rcx, 1);
    as_.jcc(ne, loop);
    as_.bind(zeroed);
    // A machine call of the callee's native start (its first instruction is a jit_enter),
    // else the interpreter goes on at its first instruction.
    Label returned;
    as_.mov_load(W::q, rax, at(rbp, static_cast<int32_t>(offsetof(CompiledFunction, entry))));
    emit_enter_native_or_exit(as_, exit_, true);
    as_.jmp(returned);
    as_.bind(leave);
    emit_exit(in.at);
    as_.bind(returned);
}

/// `memory.copy` [d, s, n] and `memory.fill` [d, value, n]. Both ranges are checked before
/// anything is written (a trap writes nothing). Up to 64 bytes go 8 bytes at a time, then byte
/// by byte (`rep movsb`/`stosb` take tens of cycles to start, and most copies are a few
/// bytes: printf's); longer ones use `rep movsb`/`stosb`. Copying forward is right when d <= s
/// or the ranges do not overlap; an overlapping copy to a higher address is handed to the
/// interpreter (which is why memory.copy is never an entry point). rdi and rsi (fp and the
/// memory base) serve as the string registers, saved on the stack meanwhile; the slots are
/// read before.
void FunctionTranslator::emit_bulk_memory(const Instr& in) {
    flush_all(true); // it may exit to the interpreter
    const bool copy = in.op == IOp::memory_copy;
    load(W::d, rax, op(in, 0)); // d
    load(W::d, rcx, op(in, 1)); // s, or the value
    load(W::d, rdx, op(in, 2)); // n
    Label out_of_bounds, backward, done, restore, bytes, words, rep, general;
    if (!explicit_bounds_) emit_small_bulk_memory(copy, general, done);
    as_.bind(general);
    as_.push(rdi);
    as_.push(rsi);
    as_.lea(rdi, at(rax, rdx, 0)); // d + n, 64-bit: cannot wrap
    as_.alu_rr(W::q, Assembler::cmp, rdi, r11);
    as_.jcc(a, out_of_bounds);
    if (copy) {
        as_.lea(rdi, at(rcx, rdx, 0)); // s + n
        as_.alu_rr(W::q, Assembler::cmp, rdi, r11);
        as_.jcc(a, out_of_bounds);
        Label forward;
        as_.alu_rr(W::q, Assembler::cmp, rax, rcx);
        as_.jcc(be, forward);                       // d <= s: forward is right
        as_.alu_rr(W::q, Assembler::cmp, rax, rdi); // d < s + n: overlapping, backward
        as_.jcc(b, backward);
        as_.bind(forward);
        as_.mov_load(W::q, rsi, at(rsp, 0)); // the memory base
        as_.lea(rdi, at(rsi, rax, 0));
        as_.lea(rsi, at(rsi, rcx, 0));
    } else {
        as_.mov_load(W::q, rdi, at(rsp, 0));
        as_.lea(rdi, at(rdi, rax, 0));
        as_.movzx8_rr(rax, rcx); // the byte, in every byte of rax
        as_.mov_imm(rsi, 0x0101010101010101ull);
        as_.imul_rr(W::q, rax, rsi);
    }
    // rdi = the destination, rsi = the source (copy) or rax = the bytes (fill), rcx = n.
    as_.mov_rr(W::q, rcx, rdx);
    // One step of `bytes` (8 or 1) bytes: [rdi] = [rsi] or rax; the flags are rcx's after it.
    auto step = [&](int32_t bytes) {
        if (copy && bytes == 8) as_.mov_load(W::q, rax, at(rsi, 0));
        if (copy && bytes == 1) as_.movzx8(rax, at(rsi, 0));
        if (bytes == 8)
            as_.mov_store(W::q, at(rdi, 0), rax);
        else
            as_.mov_store8(at(rdi, 0), rax);
        if (copy) as_.alu_imm(W::q, Assembler::add, rsi, bytes);
        as_.alu_imm(W::q, Assembler::add, rdi, bytes);
        as_.alu_imm(W::q, Assembler::sub, rcx, bytes);
    };
    as_.alu_imm(W::q, Assembler::cmp, rcx, 64);
    as_.jcc(a, rep);
    // Forward in 8-byte words: each word is read before anything after it is written.
    as_.bind(words);
    as_.alu_imm(W::q, Assembler::cmp, rcx, 8);
    as_.jcc(b, bytes);
    step(8);
    as_.jmp(words);
    Label byte_loop;
    as_.bind(bytes);
    as_.test_rr(W::q, rcx, rcx);
    as_.jcc(e, restore);
    as_.bind(byte_loop);
    step(1);
    as_.jcc(ne, byte_loop);
    as_.jmp(restore);
    as_.bind(rep);
    if (copy)
        as_.rep_movsb();
    else
        as_.rep_stosb();
    as_.bind(restore);
    as_.pop(rsi);
    as_.pop(rdi);
    as_.jmp(done);
    as_.bind(out_of_bounds);
    as_.pop(rsi);
    as_.pop(rdi);
    as_.jmp(trap_label(TrapKind::out_of_bounds_memory));
    if (copy) {
        as_.bind(backward);
        as_.pop(rsi);
        as_.pop(rdi);
        emit_exit(in.at);
    }
    as_.bind(done);
    keep_cache();
}

/// The common sizes of emit_bulk_memory, with rax = d, rcx = s or the value, rdx = n: 1 to 32
/// bytes (copy) or 1 to 16 (fill), in at most two overlapping moves of 1, 2, 4, 8 or 16 bytes,
/// without the general path's checks and loop. Other sizes go to `general`. Only with guard
/// pages, which make the checks unnecessary: every load comes before every store (so
/// overlapping ranges copy right, in either direction) and faults first if the source is out
/// of bounds, and the higher store comes first, so an out-of-bounds destination faults
/// before anything is written. Uses a cache register (its entry dropped), and xmm0-xmm1.
void FunctionTranslator::emit_small_bulk_memory(bool copy, Label& general, Label& done) {
    const int pick = victim({});
    flush(pick);
    cache_[pick] = CacheEntry{};
    const Reg t = cache_regs[pick];
    const uint32_t largest = copy ? 32 : 16;
    Label two, four, eight, sixteen;
    as_.alu_imm(W::q, Assembler::cmp, rdx, static_cast<int32_t>(largest));
    as_.jcc(a, general);
    as_.test_rr(W::q, rdx, rdx);
    as_.jcc(e, general); // n = 0: only the bounds checks
    if (copy) {
        as_.alu_imm(W::q, Assembler::cmp, rdx, 16);
        as_.jcc(ae, sixteen);
    } else {
        // The byte in every byte of t.
        as_.movzx8_rr(rcx, rcx);
        as_.mov_imm(t, 0x0101010101010101ull);
        as_.imul_rr(W::q, t, rcx);
    }
    as_.alu_imm(W::q, Assembler::cmp, rdx, 8);
    as_.jcc(ae, eight);
    as_.alu_imm(W::q, Assembler::cmp, rdx, 4);
    as_.jcc(ae, four);
    as_.alu_imm(W::q, Assembler::cmp, rdx, 2);
    as_.jcc(ae, two);
    // 1 byte.
    if (copy) load_bytes(1, t, at(rsi, rcx, 0));
    store_bytes(1, at(rsi, rax, 0), t);
    as_.jmp(done);
    // k to 2k - 1 bytes (k = 2, 4, 8, 16): the first k and the last k, which overlap.
    const auto pair = [&](Label& label, unsigned k) {
        as_.bind(label);
        const auto disp = -static_cast<int32_t>(k);
        if (copy) {
            // The first k bytes into xmm0 or t, the last k into xmm1 or rcx.
            if (k == 16)
                as_.movups_load(0, at(rsi, rcx, 0));
            else
                load_bytes(k, t, at(rsi, rcx, 0));
            as_.alu_rr(W::q, Assembler::add, rcx, rdx);
            if (k == 16)
                as_.movups_load(1, at(rsi, rcx, disp));
            else
                load_bytes(k, rcx, at(rsi, rcx, disp));
        }
        as_.alu_rr(W::q, Assembler::add, rdx, rax);
        const Mem top = at(rsi, rdx, disp);
        const Mem bottom = at(rsi, rax, 0);
        if (k == 16) {
            as_.movups_store(top, 1);
            as_.movups_store(bottom, 0);
        } else {
            store_bytes(k, top, copy ? rcx : t);
            store_bytes(k, bottom, t);
        }
        as_.jmp(done);
    };
    pair(two, 2);
    pair(four, 4);
    pair(eight, 8);
    if (copy) pair(sixteen, 16);
}

void FunctionTranslator::load_bytes(uint32_t bytes, Reg r, const Mem& m) {
    if (bytes == 1)
        as_.movzx8(r, m);
    else if (bytes == 2)
        as_.movzx16(r, m);
    else
        as_.mov_load(bytes == 8 ? W::q : W::d, r, m);
}

void FunctionTranslator::store_bytes(uint32_t bytes, const Mem& m, Reg r) {
    if (bytes == 1)
        as_.mov_store8(m, r);
    else if (bytes == 2)
        as_.mov_store16(m, r);
    else
        as_.mov_store(bytes == 8 ? W::q : W::d, m, r);
}

/// `ret`: the interpreter's ret, natively, when the caller is native code's to resume.
/// - A native call since the trampoline's entry made the frame (the machine stack is below
///   entry_sp): pop it and return to the call's machine return address.
/// - Else, a frame of this activation and this instance: pop it and jump to the return
///   site's native code, if it has some.
/// - Else the interpreter returns.
void FunctionTranslator::emit_ret(const Instr& in) {
    flush_all(true); // the caller reads the results in memory
    Label leave, not_called_natively;
    const auto frame = static_cast<int32_t>(sizeof(CallFrame));
    as_.alu_load(W::q, Assembler::cmp, rsp, WBPF_STATE(entry_sp));
    as_.jcc(e, not_called_natively);
    as_.mov_load(W::q, rax, WBPF_STATE(frame_top));
    as_.alu_imm(W::q, Assembler::sub, rax, frame);
    as_.mov_store(W::q, WBPF_STATE(frame_top), rax);
    as_.mov_load(W::q, rcx, WBPF_FRAME(rax, function, 0));
    as_.mov_store(W::q, WBPF_STATE(cur), rcx);
    as_.mov_load(W::q, rdi, WBPF_FRAME(rax, fp, 0));
    as_.ret();
    as_.bind(not_called_natively);
    as_.mov_load(W::q, rax, WBPF_STATE(frame_top));
    as_.alu_load(W::q, Assembler::cmp, rax, WBPF_STATE(frame_base));
    as_.jcc(e, leave);
    as_.mov_load(W::q, rcx, WBPF_FRAME(rax, function, -frame));
    as_.mov_load(W::q, rdx, at(rcx, static_cast<int32_t>(offsetof(FunctionInstance, instance))));
    as_.alu_load(W::q, Assembler::cmp, rdx, WBPF_STATE(instance));
    as_.jcc(ne, leave);
    as_.alu_imm(W::q, Assembler::sub, rax, frame);
    as_.mov_store(W::q, WBPF_STATE(frame_top), rax);
    as_.mov_store(W::q, WBPF_STATE(cur), rcx);
    as_.mov_load(W::q, rdi, WBPF_FRAME(rax, fp, 0));
    as_.mov_load(W::q, rax, WBPF_FRAME(rax, return_pc, 0));
    emit_enter_native_or_exit(as_, exit_); // the return site
    as_.bind(leave);
    emit_exit(in.at);
}

/// Memory access width of a plain load or store kind.
uint32_t access_bytes(IOp k) {
    switch (k) {
    case IOp::i32_load8_s:
    case IOp::i32_load8_u:
    case IOp::i64_load8_s:
    case IOp::i64_load8_u:
    case IOp::i32_store8:
    case IOp::i64_store8: return 1;
    case IOp::i32_load16_s:
    case IOp::i32_load16_u:
    case IOp::i64_load16_s:
    case IOp::i64_load16_u:
    case IOp::i32_store16:
    case IOp::i64_store16: return 2;
    case IOp::i64_load:
    case IOp::f64_load:
    case IOp::i64_store:
    case IOp::f64_store: return 8;
    default: return 4;
    }
}

void FunctionTranslator::emit_load(const Instr& in, IOp plain, uint32_t add) {
    const Mem m = address(op(in, 1), add, op(in, 2), access_bytes(plain));
    const Reg r = result_reg({op(in, 1)});
    // The 32-bit forms zero-extend into r, as commit() needs.
    switch (plain) {
    case IOp::i32_load:
    case IOp::f32_load:
    case IOp::i64_load32_u: as_.mov_load(W::d, r, m); break;
    case IOp::i64_load:
    case IOp::f64_load: as_.mov_load(W::q, r, m); break;
    case IOp::i32_load8_s: as_.movsx8(W::d, r, m); break;
    case IOp::i32_load8_u:
    case IOp::i64_load8_u: as_.movzx8(r, m); break;
    case IOp::i32_load16_s: as_.movsx16(W::d, r, m); break;
    case IOp::i32_load16_u:
    case IOp::i64_load16_u: as_.movzx16(r, m); break;
    case IOp::i64_load8_s: as_.movsx8(W::q, r, m); break;
    case IOp::i64_load16_s: as_.movsx16(W::q, r, m); break;
    case IOp::i64_load32_s: as_.movsxd(r, m); break;
    default: return;
    }
    commit(op(in, 0), r);
}

void FunctionTranslator::emit_store(const Instr& in, IOp plain, uint32_t add) {
    const uint32_t bytes = access_bytes(plain);
    // The value first, in rdx if not cached: address() uses rax and, checking bounds, rcx.
    const Reg v = in_reg(bytes == 8 ? W::q : W::d, op(in, 1), rdx);
    const Mem m = address(op(in, 0), add, op(in, 2), bytes, rax, {op(in, 1)});
    if (bytes == 1)
        as_.mov_store8(m, v);
    else if (bytes == 2)
        as_.mov_store16(m, v);
    else
        as_.mov_store(bytes == 8 ? W::q : W::d, m, v);
    keep_cache();
}

bool FunctionTranslator::translate(std::vector<std::pair<uint32_t, size_t>>& entries,
                                   size_t& start) {
    start = SIZE_MAX;
    if (cf_.frame_slots > INT32_MAX / 8 - 8) return false;
    if (!decode() || instrs_.empty()) return false;
    // Every path ends in a return, branch or trap: never falls off the code.
    const IOp last = instrs_.back().op;
    if (last != IOp::ret && last != IOp::br && last != IOp::unreachable) return false;
    for (Instr& in : instrs_)
        in.native = has_template(in);
    // Entry points: the start, and where the interpreter resumes after an instruction it ran,
    // when at least two translated instructions follow (one alone is cheaper interpreted).
    // Return sites (after calls) too: native returns resume there.
    std::vector<size_t> entry_instrs;
    for (size_t i = 0; i < instrs_.size(); ++i) {
        const bool return_site = i != 0 && is_call(instrs_[i - 1].op);
        if (i != 0 && instrs_[i - 1].native && !return_site) continue;
        // Never a call or memory.copy: native code may hand them to the interpreter at the
        // instruction itself, which must then not re-enter native code.
        if (!instrs_[i].native || instrs_[i].words < 2 || may_hand_back_itself(instrs_[i].op) ||
            i + 1 >= instrs_.size() || !instrs_[i + 1].native)
            continue;
        entry_instrs.push_back(i);
    }
    // Loop headers (backward branch targets) and the targets of interpreted branches: there
    // the interpreter arrives by a branch, e.g. in a loop of a function that was running
    // when its module became native.
    std::vector<uint32_t> index_of(cf_.code.size(), 0);
    for (size_t i = 0; i < instrs_.size(); ++i)
        index_of[instrs_[i].at] = static_cast<uint32_t>(i);
    std::vector<int64_t> targets;
    for (const Instr& in : instrs_) {
        targets.clear();
        branch_targets(in, targets);
        for (int64_t w : targets) {
            if (!is_start(w) || (in.native && w > static_cast<int64_t>(in.at))) continue;
            const uint32_t i = index_of[static_cast<size_t>(w)];
            const Instr& to = instrs_[i];
            if (to.native && to.words >= 2 && !may_hand_back_itself(to.op))
                entry_instrs.push_back(i);
        }
    }
    if (entry_instrs.empty() && !instrs_[0].native) return false;

    // Join points, where control may arrive from elsewhere than the instruction before: the
    // slot cache is empty there.
    std::vector<bool> join(instrs_.size(), false);
    join[0] = true;
    for (size_t i : entry_instrs)
        join[i] = true;
    for (size_t i = 1; i < instrs_.size(); ++i) {
        const IOp prev = instrs_[i - 1].op;
        if (!instrs_[i - 1].native || is_call(prev)) join[i] = true;
    }
    for (const Instr& in : instrs_) {
        targets.clear();
        branch_targets(in, targets);
        for (int64_t w : targets)
            if (is_start(w)) join[index_of[static_cast<size_t>(w)]] = true;
    }

    labels_.assign(cf_.code.size(), Label{});
    for (size_t i = 0; i < instrs_.size(); ++i) {
        const Instr& in = instrs_[i];
        // Before the label: the pending stores are the code falling through's to make.
        if (join[i]) drop_cache();
        as_.bind(labels_[in.at]);
        targets.clear();
        branch_targets(in, targets);
        targets.push_back(i + 1 < instrs_.size() ? instrs_[i + 1].at
                                                 : static_cast<int64_t>(cf_.code.size()));
        dead_after_ = dead_above(targets);
        targets.push_back(in.at);
        dead_before_ = dead_above(targets);
        kept_ = false;
        if (in.native)
            emit(in);
        else
            emit_exit(in.at);
        if (!kept_) drop_cache();
    }
    if (instrs_[0].native) start = static_cast<size_t>(labels_[0].bound);
    for (const TableEntry& e : tables_)
        as_.put_u32(e.at, static_cast<uint32_t>(label_at(e.target_word).bound -
                                                static_cast<int64_t>(e.table)));
    for (size_t t = 0; t < 16; ++t) {
        if (!trap_used_[t]) continue;
        as_.bind(trap_labels_[t]);
        as_.mov_imm(rax, t);
        as_.jmp(exit_);
    }
    as_.bind(exit_);
    emit_exit_tail(as_);
    std::vector<bool> done(instrs_.size(), false);
    for (size_t i : entry_instrs) {
        if (done[i]) continue;
        done[i] = true;
        entries.emplace_back(instrs_[i].at, static_cast<size_t>(labels_[instrs_[i].at].bound));
    }
    return true;
}

uint64_t FunctionTranslator::dead_above(const std::vector<int64_t>& words) const {
    const std::vector<uint16_t>& heights = cf_.live_heights;
    uint16_t h = 0;
    for (int64_t w : words) {
        if (w < 0 || static_cast<size_t>(w) >= heights.size()) return UINT64_MAX;
        h = std::max(h, heights[static_cast<size_t>(w)]);
    }
    if (h == live_height_unknown) return UINT64_MAX;
    // The results, which `ret` leaves in the first slots, may extend past the locals.
    return std::max<uint64_t>((uint64_t{cf_.param_slots} + cf_.local_slots + h) * 8,
                              uint64_t{cf_.result_count} * 8);
}

void FunctionTranslator::load(W w, Reg dst, uint32_t s) {
    const int i = cached(s);
    if (i < 0) {
        as_.mov_load(w, dst, slot(s));
        return;
    }
    cache_[i].used = ++tick_;
    if (cache_regs[i] != dst) as_.mov_rr(w, dst, cache_regs[i]);
}

void FunctionTranslator::alu(W w, Assembler::Alu op, Reg dst, uint32_t s) {
    const int i = cached(s);
    if (i < 0) {
        as_.alu_load(w, op, dst, slot(s));
        return;
    }
    cache_[i].used = ++tick_;
    as_.alu_rr(w, op, dst, cache_regs[i]);
}

Reg FunctionTranslator::in_reg(W w, uint32_t s, Reg fallback) {
    const int i = cached(s);
    if (i < 0) {
        as_.mov_load(w, fallback, slot(s));
        return fallback;
    }
    cache_[i].used = ++tick_;
    return cache_regs[i];
}

int FunctionTranslator::victim(std::initializer_list<uint32_t> keep) const {
    int pick = -1;
    for (int i = 0; i < cache_size; ++i) {
        if (cache_[i].slot == UINT32_MAX) return i;
        bool kept = false;
        for (uint32_t k : keep)
            kept = kept || cache_[i].slot == k;
        if (!kept && (pick < 0 || cache_[i].used < cache_[pick].used)) pick = i;
    }
    return pick; // templates keep at most 3 of the 6
}

Reg FunctionTranslator::result_reg(std::initializer_list<uint32_t> sources, int64_t reuse) {
    if (reuse >= 0 && std::count(sources.begin(), sources.end(), reuse) == 1) {
        const int i = cached(static_cast<uint32_t>(reuse));
        if (i >= 0) return cache_regs[i]; // entry kept for the first load
    }
    const int pick = victim(sources);
    flush(pick);
    cache_[pick].slot = UINT32_MAX;
    return cache_regs[pick];
}

void FunctionTranslator::commit(uint32_t dst, Reg r) {
    const int old = cached(dst);
    if (old >= 0) cache_[old] = CacheEntry{}; // the old value is dead: no store
    int home = -1;
    for (int i = 0; i < cache_size; ++i)
        if (cache_regs[i] == r) home = i;
    if (home < 0) { // a scratch register (rax, rcx, rdx): keep a copy
        home = victim({});
        flush(home);
        as_.mov_rr(W::q, cache_regs[home], r);
    }
    cache_[home] = CacheEntry{dst, ++tick_, false, 0, false, true};
    kept_ = true;
}

Mem FunctionTranslator::address(uint32_t addr_slot, uint32_t add, uint32_t offset, uint32_t bytes,
                                Reg scratch, std::initializer_list<uint32_t> keep) {
    Reg base = scratch;
    const int i = cached(addr_slot);
    if (i >= 0 && add == 0 && cache_[i].zero_extended) {
        cache_[i].used = ++tick_;
        base = cache_regs[i];
    } else if (i >= 0) {
        cache_[i].used = ++tick_;
        // A 32-bit lea: zero-extends, and wraps the addition as the wasm address does.
        as_.lea32(scratch, at(cache_regs[i], static_cast<int32_t>(add)));
    } else if (add == 0) {
        const int pick = victim(keep);
        flush(pick);
        as_.mov_load(W::d, cache_regs[pick], slot(addr_slot));
        cache_[pick] = CacheEntry{addr_slot, ++tick_, false, 0, true};
        base = cache_regs[pick];
    } else {
        as_.mov_load(W::d, scratch, slot(addr_slot));
        as_.alu_imm(W::d, Assembler::add, scratch, static_cast<int32_t>(add));
    }
    if (explicit_bounds_) {
        // rcx = address + offset + bytes (64-bit: cannot wrap); out of bounds if > size.
        as_.mov_imm(rcx, static_cast<uint64_t>(offset) + bytes);
        as_.alu_rr(W::q, Assembler::add, rcx, base);
        as_.alu_rr(W::q, Assembler::cmp, rcx, r11);
        as_.jcc(a, trap_label(TrapKind::out_of_bounds_memory));
    }
    if (offset <= INT32_MAX) return at(rsi, base, static_cast<int32_t>(offset));
    if (base != scratch) as_.mov_rr(W::d, scratch, base);
    as_.mov_imm(rcx, offset);
    as_.alu_rr(W::q, Assembler::add, scratch, rcx);
    return at(rsi, scratch, 0);
}

void FunctionTranslator::alu_imm64(Assembler::Alu alu, uint64_t imm, Reg r) {
    const auto v = static_cast<int64_t>(imm);
    if (v >= INT32_MIN && v <= INT32_MAX) {
        as_.alu_imm(W::q, alu, r, static_cast<int32_t>(v));
    } else {
        as_.mov_imm(rcx, imm);
        as_.alu_rr(W::q, alu, r, rcx);
    }
}

/// An unconditional transfer to `target_word`, with the interrupt check on back-edges.
void FunctionTranslator::jump_to(const Instr& in, int64_t target_word) {
    flush_all();
    if (target_word <= static_cast<int64_t>(in.at)) {
        as_.cmp_mem_imm(W::d, at(r10, 0), 0);
        as_.jcc(ne, trap_label(TrapKind::interrupted));
    }
    as_.jmp(label_at(target_word));
}

/// A conditional transfer on `c` (flags already set).
void FunctionTranslator::cond_jump(const Instr& in, Cond c, int64_t target_word) {
    flush_all(); // stores leave the flags alone
    if (target_word <= static_cast<int64_t>(in.at)) {
        Label skip;
        as_.jcc(negate(c), skip);
        jump_to(in, target_word);
        as_.bind(skip);
    } else {
        as_.jcc(c, label_at(target_word));
    }
}

void FunctionTranslator::emit(const Instr& in) {
    const IOp k = in.op;
    auto O = [&](uint32_t i) { return op(in, i); };
    // The first source, when the result overwrites it (and it is no other source): its cache
    // register may be updated in place.
    auto same = [&](uint32_t dst, uint32_t src) { return dst == src ? int64_t{src} : -1; };

    // Binary integer arithmetic, plain and with a constant, both widths.
    struct AluDesc {
        IOp plain32, imm32, plain64, imm64;
        Assembler::Alu alu;
    };
    static const AluDesc alus[] = {
        {IOp::i32_add, IOp::i32_add_imm, IOp::i64_add, IOp::i64_add_imm, Assembler::add},
        {IOp::i32_sub, IOp::i32_sub_imm, IOp::i64_sub, IOp::i64_sub_imm, Assembler::sub},
        {IOp::i32_and, IOp::i32_and_imm, IOp::i64_and, IOp::i64_and_imm, Assembler::and_},
        {IOp::i32_or, IOp::i32_or_imm, IOp::i64_or, IOp::i64_or_imm, Assembler::or_},
        {IOp::i32_xor, IOp::i32_xor_imm, IOp::i64_xor, IOp::i64_xor_imm, Assembler::xor_},
    };
    for (const AluDesc& d : alus) {
        if (k == d.plain32 || k == d.plain64) {
            const W w = k == d.plain64 ? W::q : W::d;
            const Reg r = result_reg({O(1), O(2)}, same(O(0), O(1)));
            load(w, r, O(1));
            alu(w, d.alu, r, O(2));
            commit(O(0), r);
            return;
        }
        if (k == d.imm32) {
            const Reg r = result_reg({O(1)}, same(O(0), O(1)));
            load(W::d, r, O(1));
            as_.alu_imm(W::d, d.alu, r, static_cast<int32_t>(O(2)));
            commit(O(0), r);
            return;
        }
        if (k == d.imm64) {
            const Reg r = result_reg({O(1)}, same(O(0), O(1)));
            load(W::q, r, O(1));
            alu_imm64(d.alu, imm64(in), r);
            commit(O(0), r);
            return;
        }
    }

    // Shifts and rotates: x86 masks the count exactly as Wasm does (by width - 1).
    struct ShiftDesc {
        IOp plain32, imm32, plain64, imm64;
        Assembler::Shift sh;
    };
    static const ShiftDesc shifts[] = {
        {IOp::i32_shl, IOp::i32_shl_imm, IOp::i64_shl, IOp::i64_shl_imm, Assembler::shl},
        {IOp::i32_shr_s, IOp::i32_shr_s_imm, IOp::i64_shr_s, IOp::i64_shr_s_imm, Assembler::sar},
        {IOp::i32_shr_u, IOp::i32_shr_u_imm, IOp::i64_shr_u, IOp::i64_shr_u_imm, Assembler::shr},
        {IOp::i32_rotl, IOp::i32_rotl_imm, IOp::i64_rotl, IOp::i64_rotl_imm, Assembler::rol},
        {IOp::i32_rotr, IOp::i32_rotr_imm, IOp::i64_rotr, IOp::i64_rotr_imm, Assembler::ror},
    };
    for (const ShiftDesc& d : shifts) {
        if (k == d.plain32 || k == d.plain64) {
            const W w = k == d.plain64 ? W::q : W::d;
            load(W::d, rcx, O(2));
            const Reg r = result_reg({O(1), O(2)}, same(O(0), O(1)));
            load(w, r, O(1));
            as_.shift_cl(w, d.sh, r);
            commit(O(0), r);
            return;
        }
        if (k == d.imm32 || k == d.imm64) {
            const W w = k == d.imm64 ? W::q : W::d;
            const uint64_t count = k == d.imm64 ? imm64(in) & 63 : O(2) & 31;
            const Reg r = result_reg({O(1)}, same(O(0), O(1)));
            load(w, r, O(1));
            as_.shift_imm(w, d.sh, r, static_cast<uint8_t>(count));
            commit(O(0), r);
            return;
        }
    }

    // Comparisons producing 0/1: ten conditions, two widths, variable or constant operand.
    if (k >= IOp::i32_eq && k <= IOp::i64_ge_u && k != IOp::i64_eqz) {
        const bool wide = k >= IOp::i64_eq;
        const W w = wide ? W::q : W::d;
        // i32_eq..i32_ge_u, then i64_eqz, then i64_eq..i64_ge_u.
        const Cond c = comparison(static_cast<unsigned>(k) -
                                  static_cast<unsigned>(wide ? IOp::i64_eq : IOp::i32_eq));
        alu(w, Assembler::cmp, in_reg(w, O(1), rax), O(2));
        set_flag_result(c, O(0), {O(1), O(2)});
        return;
    }
    if (k >= IOp::i32_eq_imm && k <= IOp::i64_ge_u_imm) {
        // In WBPF_IMM_OPS the i32 comparisons follow the i32 shifts, the i64 ones the i64
        // shifts: recover the condition from the name position.
        static const IOp first32 = IOp::i32_eq_imm;
        static const IOp first64 = IOp::i64_eq_imm;
        const bool wide = k >= first64;
        const unsigned idx =
            static_cast<unsigned>(k) - static_cast<unsigned>(wide ? first64 : first32);
        if (idx < 10) {
            const Cond c = comparison(idx);
            if (wide)
                alu_imm64(Assembler::cmp, imm64(in), in_reg(W::q, O(1), rax));
            else
                as_.alu_imm(W::d, Assembler::cmp, in_reg(W::d, O(1), rax),
                            static_cast<int32_t>(O(2)));
            set_flag_result(c, O(0), {O(1)});
            return;
        }
    }

    // Compare-and-branch: [a, b, target] / [a, imm32, target] / i64: [a, target] + imm64.
    if (k >= IOp::br_i32_eq && k <= IOp::br_i64_ge_u_imm) {
        const unsigned rel = static_cast<unsigned>(k) - static_cast<unsigned>(IOp::br_i32_eq);
        const bool wide = rel >= 20;
        const bool imm = rel % 2 == 1;
        const Cond c = comparison((rel % 20) / 2);
        const W w = wide ? W::q : W::d;
        const Reg a = in_reg(w, O(0), rax);
        int64_t tgt;
        if (!imm) {
            alu(w, Assembler::cmp, a, O(1));
            tgt = target(in, 2);
        } else if (!wide) {
            as_.alu_imm(W::d, Assembler::cmp, a, static_cast<int32_t>(O(1)));
            tgt = target(in, 2);
        } else {
            alu_imm64(Assembler::cmp, imm64(in), a);
            tgt = target(in, 1);
        }
        cond_jump(in, c, tgt);
        keep_cache();
        return;
    }
    // Add a constant, store the sum, then compare it and branch (b read after the store).
    if (k >= IOp::add_br_i32_eq && k <= IOp::add_br_i32_ge_u_imm) {
        const unsigned rel = static_cast<unsigned>(k) - static_cast<unsigned>(IOp::add_br_i32_eq);
        const Cond c = comparison(rel / 2);
        const Reg r = result_reg({O(1)}, same(O(0), O(1)));
        load(W::d, r, O(1));
        as_.alu_imm(W::d, Assembler::add, r, static_cast<int32_t>(O(2)));
        commit(O(0), r);
        if (rel % 2 == 1)
            as_.alu_imm(W::d, Assembler::cmp, r, static_cast<int32_t>(O(3)));
        else
            alu(W::d, Assembler::cmp, r, O(3));
        cond_jump(in, c, target(in, 4));
        return;
    }

    // Loads: [dst, address, offset] and _ai: [dst, address, offset, add].
    if (k >= IOp::i32_load && k <= IOp::i64_load32_u) {
        emit_load(in, k, 0);
        return;
    }
    if (k >= IOp::i32_load_ai && k <= IOp::i64_load32_u_ai) {
        emit_load(in,
                  static_cast<IOp>(static_cast<unsigned>(k) -
                                   static_cast<unsigned>(IOp::i32_load_ai) +
                                   static_cast<unsigned>(IOp::i32_load)),
                  O(3));
        return;
    }
    if (k >= IOp::i32_store && k <= IOp::i64_store32) {
        emit_store(in, k, 0);
        return;
    }
    if (k >= IOp::i32_store_ai && k <= IOp::i64_store32_ai) {
        emit_store(in,
                   static_cast<IOp>(static_cast<unsigned>(k) -
                                    static_cast<unsigned>(IOp::i32_store_ai) +
                                    static_cast<unsigned>(IOp::i32_store)),
                   O(3));
        return;
    }

    switch (k) {
    case IOp::i32_mul:
    case IOp::i64_mul: {
        const W w = k == IOp::i64_mul ? W::q : W::d;
        const Reg r = result_reg({O(1), O(2)}, same(O(0), O(1)));
        load(w, r, O(1));
        const int i = cached(O(2));
        if (i >= 0)
            as_.imul_rr(w, r, cache_regs[i]);
        else
            as_.imul_load(w, r, slot_in(O(2)));
        commit(O(0), r);
        return;
    }
    case IOp::i32_mul_imm: {
        const Reg a = in_reg(W::d, O(1), rcx);
        const Reg r = result_reg({O(1)});
        as_.imul_imm(W::d, r, a, static_cast<int32_t>(O(2)));
        commit(O(0), r);
        return;
    }
    case IOp::i64_mul_imm: {
        const auto v = static_cast<int64_t>(imm64(in));
        const Reg a = in_reg(W::q, O(1), rcx);
        const Reg r = result_reg({O(1)});
        if (v >= INT32_MIN && v <= INT32_MAX) {
            as_.imul_imm(W::q, r, a, static_cast<int32_t>(v));
        } else {
            as_.mov_imm(r, static_cast<uint64_t>(v));
            as_.imul_rr(W::q, r, a);
        }
        commit(O(0), r);
        return;
    }
    case IOp::i32_div_s:
    case IOp::i32_div_u:
    case IOp::i32_rem_s:
    case IOp::i32_rem_u:
    case IOp::i64_div_s:
    case IOp::i64_div_u:
    case IOp::i64_rem_s:
    case IOp::i64_rem_u: {
        const bool wide = k >= IOp::i64_div_s;
        const W w = wide ? W::q : W::d;
        const bool is_signed = k == IOp::i32_div_s || k == IOp::i32_rem_s || k == IOp::i64_div_s ||
                               k == IOp::i64_rem_s;
        const bool rem = k == IOp::i32_rem_s || k == IOp::i32_rem_u || k == IOp::i64_rem_s ||
                         k == IOp::i64_rem_u;
        uint64_t divisor = 0;
        if ((k == IOp::i32_div_u || k == IOp::i32_rem_u) && constant_in(O(2), divisor) &&
            static_cast<uint32_t>(divisor) >= 2) {
            // By a constant (fmt_u's x / 10, x % 10): with c = ceil(2^64 / d), x / d is the
            // high half of x * c, and x % d the high half of (x * c mod 2^64) * d, for every
            // 32-bit x and d >= 2 (Lemire, Kaser and Kurz, "Faster remainder by direct
            // computation", 2019). Two or three multiplications instead of a division.
            const uint64_t d = static_cast<uint32_t>(divisor);
            load(W::d, rcx, O(1));
            as_.mov_imm(rax, UINT64_MAX / d + 1);
            as_.mul(W::q, rcx);
            if (rem) {
                as_.mov_imm(rcx, d);
                as_.mul(W::q, rcx);
            }
            commit(O(0), rdx);
            return;
        }
        load(w, rax, O(1));
        load(w, rcx, O(2));
        as_.test_rr(w, rcx, rcx);
        as_.jcc(e, trap_label(TrapKind::integer_divide_by_zero));
        Label done;
        if (is_signed) {
            // x / -1: overflow for the minimum (div), always 0 (rem); idiv would fault.
            Label normal;
            as_.alu_imm(w, Assembler::cmp, rcx, -1);
            as_.jcc(ne, normal);
            if (rem) {
                as_.alu_rr(W::d, Assembler::xor_, rdx, rdx);
                as_.jmp(done);
            } else {
                as_.mov_imm(rdx, wide ? 0x8000000000000000ull : 0x80000000ull);
                as_.alu_rr(w, Assembler::cmp, rax, rdx);
                as_.jcc(e, trap_label(TrapKind::integer_overflow));
            }
            as_.bind(normal);
            as_.cdq(w);
        } else {
            as_.alu_rr(W::d, Assembler::xor_, rdx, rdx);
        }
        as_.div(w, rcx, is_signed);
        as_.bind(done);
        commit(O(0), rem ? rdx : rax);
        return;
    }
    case IOp::i32_clz:
    case IOp::i64_clz:
        as_.lzcnt(k == IOp::i64_clz ? W::q : W::d, rax, slot_in(O(1)));
        commit(O(0), rax);
        return;
    case IOp::i32_ctz:
    case IOp::i64_ctz:
        as_.tzcnt(k == IOp::i64_ctz ? W::q : W::d, rax, slot_in(O(1)));
        commit(O(0), rax);
        return;
    case IOp::i32_popcnt:
    case IOp::i64_popcnt:
        as_.popcnt(k == IOp::i64_popcnt ? W::q : W::d, rax, slot_in(O(1)));
        commit(O(0), rax);
        return;
    case IOp::i32_eqz:
    case IOp::i64_eqz: {
        const W w = k == IOp::i64_eqz ? W::q : W::d;
        const int i = cached(O(1));
        if (i >= 0)
            as_.test_rr(w, cache_regs[i], cache_regs[i]);
        else
            as_.cmp_mem_imm(w, slot_in(O(1)), 0);
        set_flag_result(e, O(0), {O(1)});
        return;
    }
    case IOp::i32_wrap_i64: {
        const Reg r = result_reg({O(1)}, same(O(0), O(1)));
        load(W::d, r, O(1));
        commit(O(0), r);
        return;
    }
    case IOp::i64_extend_i32_u: {
        const Reg r = result_reg({O(1)}, same(O(0), O(1)));
        load(W::d, r, O(1)); // a 32-bit move zero-extends
        commit(O(0), r);
        return;
    }
    case IOp::i64_extend_i32_s:
    case IOp::i64_extend32_s:
    case IOp::i32_extend8_s:
    case IOp::i32_extend16_s:
    case IOp::i64_extend8_s:
    case IOp::i64_extend16_s: {
        const W w = k == IOp::i32_extend8_s || k == IOp::i32_extend16_s ? W::d : W::q;
        const unsigned bits = k == IOp::i32_extend8_s || k == IOp::i64_extend8_s     ? 8
                              : k == IOp::i32_extend16_s || k == IOp::i64_extend16_s ? 16
                                                                                     : 32;
        const int i = cached(O(1)); // reads at most the low 32 bits
        const Reg r = result_reg({O(1)});
        if (i >= 0) {
            const Reg a = cache_regs[i];
            if (bits == 8)
                as_.movsx8_rr(w, r, a);
            else if (bits == 16)
                as_.movsx16_rr(w, r, a);
            else
                as_.movsxd_rr(r, a);
        } else if (bits == 8) {
            as_.movsx8(w, r, slot_in(O(1)));
        } else if (bits == 16) {
            as_.movsx16(w, r, slot_in(O(1)));
        } else {
            as_.movsxd(r, slot_in(O(1)));
        }
        commit(O(0), r);
        return;
    }
    case IOp::copy: {
        const Reg r = result_reg({O(1)});
        load(W::q, r, O(1));
        commit(O(0), r);
        return;
    }
    case IOp::const32:
    case IOp::const64: {
        // Slots hold constants zero-extended (const32) or whole (const64), as the interpreter.
        const uint64_t v = k == IOp::const32 ? O(1) : imm64(in);
        const Reg r = result_reg({});
        if (v == 0)
            as_.alu_rr(W::d, Assembler::xor_, r, r);
        else
            as_.mov_imm(r, v);
        commit(O(0), r);
        for (CacheEntry& c : cache_) {
            if (c.slot == O(0)) {
                c.known = true;
                c.value = v;
            }
        }
        return;
    }
    case IOp::select: {
        const Reg r = result_reg({O(1), O(2), O(3)});
        load(W::q, r, O(1));
        const int c = cached(O(3));
        if (c >= 0)
            as_.test_rr(W::d, cache_regs[c], cache_regs[c]);
        else
            as_.cmp_mem_imm(W::d, slot_in(O(3)), 0);
        const int i = cached(O(2));
        if (i >= 0)
            as_.cmov_rr(W::q, e, r, cache_regs[i]);
        else
            as_.cmov_load(W::q, e, r, slot_in(O(2)));
        commit(O(0), r);
        return;
    }
    case IOp::global_get: {
        const Reg r = result_reg({});
        as_.mov_load(W::q, rax, at(r9, static_cast<int32_t>(O(1) * 8)));
        as_.mov_load(W::q, r, at(rax, static_cast<int32_t>(offsetof(GlobalInstance, value))));
        commit(O(0), r);
        return;
    }
    case IOp::global_set: {
        const Reg v = in_reg(W::q, O(1), rcx);
        as_.mov_load(W::q, rax, at(r9, static_cast<int32_t>(O(0) * 8)));
        as_.mov_store(W::q, at(rax, static_cast<int32_t>(offsetof(GlobalInstance, value))), v);
        keep_cache();
        return;
    }
    case IOp::memory_size: {
        const Reg r = result_reg({});
        as_.mov_rr(W::q, r, r11);
        as_.shift_imm(W::q, Assembler::shr, r, 16);
        commit(O(0), r);
        return;
    }
    case IOp::unreachable: as_.jmp(trap_label(TrapKind::unreachable)); return;
    case IOp::i32_xor_rotl_imm: {
        const Reg r = result_reg({O(1), O(2)}, same(O(0), O(1)));
        load(W::d, r, O(1));
        alu(W::d, Assembler::xor_, r, O(2));
        as_.shift_imm(W::d, Assembler::rol, r, static_cast<uint8_t>(O(3) & 31));
        commit(O(0), r);
        return;
    }
    case IOp::i32_shl_or_shr:
    case IOp::i64_shl_or_shr: {
        const W w = k == IOp::i64_shl_or_shr ? W::q : W::d;
        const Reg r = result_reg({O(1), O(3)});
        load(w, r, O(1));
        as_.shift_imm(w, Assembler::shl, r, static_cast<uint8_t>(O(2)));
        load(w, rcx, O(3));
        as_.shift_imm(w, Assembler::shr, rcx, static_cast<uint8_t>(O(4)));
        as_.alu_rr(w, Assembler::or_, r, rcx);
        commit(O(0), r);
        return;
    }
    case IOp::i32_store_shl_or_shr:
    case IOp::i64_store_shl_or_shr: {
        const W w = k == IOp::i64_store_shl_or_shr ? W::q : W::d;
        const Mem m = address(O(0), O(2), O(1), w == W::q ? 8 : 4);
        load(w, rcx, O(3));
        as_.shift_imm(w, Assembler::shl, rcx, static_cast<uint8_t>(O(4)));
        load(w, rdx, O(5));
        as_.shift_imm(w, Assembler::shr, rdx, static_cast<uint8_t>(O(6)));
        as_.alu_rr(w, Assembler::or_, rcx, rdx);
        as_.mov_store(w, m, rcx);
        keep_cache();
        return;
    }
    case IOp::store8_const:
    case IOp::store16_const:
    case IOp::store32_const:
    case IOp::store64_const: {
        const uint32_t bytes = k == IOp::store8_const    ? 1
                               : k == IOp::store16_const ? 2
                               : k == IOp::store32_const ? 4
                                                         : 8;
        const Mem m = address(O(0), O(2), O(1), bytes);
        const uint32_t v = O(3);
        if (bytes == 1) {
            as_.mov_store8_imm(m, static_cast<uint8_t>(v));
        } else if (bytes == 2) {
            as_.mov_store16_imm(m, static_cast<uint16_t>(v));
        } else if (bytes == 4) {
            as_.mov_store_imm(W::d, m, static_cast<int32_t>(v));
        } else if (v <= INT32_MAX) {
            as_.mov_store_imm(W::q, m, static_cast<int32_t>(v));
        } else {
            as_.mov_imm(rcx, v);
            as_.mov_store(W::q, m, rcx);
        }
        keep_cache();
        return;
    }
    case IOp::move8:
    case IOp::move16:
    case IOp::move32:
    case IOp::move64: {
        const uint32_t bytes = k == IOp::move8    ? 1
                               : k == IOp::move16 ? 2
                               : k == IOp::move32 ? 4
                                                  : 8;
        // Both addresses (and, with explicit checks, both bounds) before the write.
        const Mem from = address(O(0), O(2), O(1), bytes, rax);
        const Mem to = address(O(3), O(5), O(4), bytes, rdx, {O(0)});
        load_bytes(bytes, rcx, from);
        store_bytes(bytes, to, rcx);
        keep_cache();
        return;
    }
    case IOp::memory_copy:
    case IOp::memory_fill: emit_bulk_memory(in); return;
    case IOp::call: emit_call(in); return;
    case IOp::call_indirect: emit_call_indirect(in); return;
    case IOp::ret: emit_ret(in); return;
    case IOp::br: jump_to(in, target(in, 0)); return;
    case IOp::br_table: {
        // Clamp the index to the default (last) entry, then jump through a table of offsets
        // from the table's start, placed right after the jump.
        const uint32_t n = O(1);
        bool backward = false;
        for (uint32_t t = 0; t <= n; ++t)
            backward = backward || target(in, 2 + t) <= static_cast<int64_t>(in.at);
        if (backward) {
            as_.cmp_mem_imm(W::d, at(r10, 0), 0);
            as_.jcc(ne, trap_label(TrapKind::interrupted));
        }
        load(W::d, rax, O(0));
        flush_all();
        as_.mov_imm(rcx, n);
        as_.alu_rr(W::d, Assembler::cmp, rax, rcx);
        as_.cmov_rr(W::d, a, rax, rcx);
        as_.shift_imm(W::q, Assembler::shl, rax, 2);
        const size_t disp = as_.lea_rip(rcx);
        as_.movsxd(rax, at(rcx, rax, 0));
        as_.alu_rr(W::q, Assembler::add, rax, rcx);
        as_.jmp_reg(rax);
        const size_t table = as_.size();
        as_.put_u32(disp, static_cast<uint32_t>(table - (disp + 4)));
        for (uint32_t t = 0; t <= n; ++t) {
            tables_.push_back(TableEntry{as_.size(), table, target(in, 2 + t)});
            as_.u32(0);
        }
        return;
    }
    case IOp::br_if:
    case IOp::br_unless: {
        const int i = cached(O(0));
        if (i >= 0)
            as_.test_rr(W::d, cache_regs[i], cache_regs[i]);
        else
            as_.cmp_mem_imm(W::d, slot_in(O(0)), 0);
        cond_jump(in, k == IOp::br_if ? ne : e, target(in, 1));
        keep_cache();
        return;
    }
    case IOp::br_i32_test_imm:
    case IOp::br_i32_test_z_imm: {
        const int i = cached(O(0));
        if (i >= 0)
            as_.test_imm(cache_regs[i], O(1));
        else
            as_.test_mem_imm(slot_in(O(0)), O(1));
        cond_jump(in, k == IOp::br_i32_test_imm ? ne : e, target(in, 2));
        keep_cache();
        return;
    }
    default: break;
    }
    // has_template() and emit() disagree: a bug; exit to the interpreter rather than guess.
    emit_exit(in.at);
}

} // namespace

namespace {

/// WBPF_PERF_MAP set (and not "0"): name native code for `perf report` (docs/CLI.md).
bool perf_map_wanted() {
    static const bool wanted = [] {
        const char* v = std::getenv("WBPF_PERF_MAP");
        return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
    }();
    return wanted;
}

/// Appends one line per translated function to /tmp/perf-PID.map, the file `perf report`
/// reads to name code in anonymous executable mappings ("START SIZE NAME", hex). Best
/// effort: a profile without names is still a profile, so failures are ignored.
void write_perf_map(const Module& module, const NativeCode& native,
                    const std::vector<std::pair<size_t, size_t>>& ranges) {
    static std::mutex lock;
    const std::lock_guard guard(lock);
    const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    // Never through a link someone else planted in /tmp.
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return;
    FILE* f = fdopen(fd, "a");
    if (f == nullptr) {
        close(fd);
        return;
    }
    for (size_t i = 0; i < ranges.size(); ++i) {
        const auto [begin, end] = ranges[i];
        if (end == begin) continue;
        const std::string name =
            module.function_display_name(static_cast<uint32_t>(module.imported_function_count + i));
        std::fprintf(f, "%lx %zx wasm:%s\n",
                     static_cast<unsigned long>(reinterpret_cast<uintptr_t>(native.base() + begin)),
                     end - begin, name.c_str());
    }
    std::fclose(f);
}

/// WBPF_JIT from the environment, if set to a mode.
std::optional<JitMode> environment_mode() {
    const char* v = std::getenv("WBPF_JIT");
    if (v == nullptr) return std::nullopt;
    if (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0) return JitMode::off;
    if (std::strcmp(v, "eager") == 0) return JitMode::eager;
    if (std::strcmp(v, "hot") == 0 || std::strcmp(v, "1") == 0) return JitMode::when_hot;
    return std::nullopt;
}

} // namespace

bool jit_available() noexcept {
#if defined(__x86_64__) && defined(__linux__)
    static const bool enabled = environment_mode() != JitMode::off;
    return enabled;
#else
    return false;
#endif
}

JitMode jit_mode(JitMode requested) noexcept {
    if (!jit_available() || requested == JitMode::off) return JitMode::off;
    static const std::optional<JitMode> forced = environment_mode();
    return forced ? *forced : requested;
}

void jit_translate_when_hot(Module& module) {
    static std::mutex lock;
    const std::lock_guard guard(lock);
    if (!module.native_when_hot || module.native) return;
    module.native_when_hot = false;
    module.native = jit_compile(module);
}

namespace {

/// The call prologue of defined function `defined`, the target of every native `call` of it:
/// with rcx = the return site's pc, rdx = the callee's frame and rdi = the caller's, it makes
/// the interpreter's checks (value stack, call depth, interrupt), pushes the caller's
/// CallFrame, makes the callee current, zeroes its declared locals and jumps to its native
/// start (`start`, SIZE_MAX if it has none: then the interpreter goes on at its first
/// instruction). A failed check leaves with the call instruction's pc (a call is 2 words,
/// right before the return site), nothing changed, and the interpreter traps as always.
void emit_call_prologue(Assembler& as, const Module& module, uint32_t defined, size_t start,
                        Label& exit) {
    const CompiledFunction& cf = *module.compiled[defined];
    const uint32_t f = module.imported_function_count + defined;
    Label fail;
    as.lea(rax, at(rdx, static_cast<int32_t>(cf.frame_slots * 8)));
    emit_call_checks(as, fail);
    as.mov_load(W::q, rbx, WBPF_STATE(funcs)); // a cache register: free at a call
    as.mov_load(W::q, rbx, at(rbx, static_cast<int32_t>(f * 8)));
    emit_frame_push(as, rbx);
    as.mov_rr(W::q, rdi, rdx);
    if (cf.local_slots) {
        as.alu_rr(W::d, Assembler::xor_, rax, rax);
        if (cf.local_slots <= 64) {
            // 16 bytes at a time (printf_core has 38 locals), then the odd one.
            const auto local = [&](uint32_t i) {
                return at(rdi, static_cast<int32_t>((cf.param_slots + i) * 8));
            };
            if (cf.local_slots >= 2) as.zero_xmm0();
            uint32_t i = 0;
            for (; i + 2 <= cf.local_slots; i += 2)
                as.store_xmm0(local(i));
            if (i < cf.local_slots) as.mov_store(W::q, local(i), rax);
        } else {
            Label loop;
            as.lea(rdx, at(rdi, static_cast<int32_t>(cf.param_slots * 8)));
            as.mov_imm(rcx, cf.local_slots);
            as.bind(loop);
            as.mov_store(W::q, at(rdx, 0), rax);
            as.alu_imm(W::q, Assembler::add, rdx, 8);
            as.alu_imm(W::d, Assembler::sub, rcx, 1);
            as.jcc(ne, loop);
        }
    }
    if (start != SIZE_MAX) {
        as.byte(0xe9);
        as.u32(static_cast<uint32_t>(static_cast<int64_t>(start) -
                                     static_cast<int64_t>(as.size() + 4)));
    } else {
        as.mov_imm(rax, reinterpret_cast<uint64_t>(cf.code.data()));
        as.jmp(exit);
    }
    as.bind(fail);
    as.lea(rax, at(rcx, -2 * static_cast<int32_t>(sizeof(uint64_t))));
    as.jmp(exit);
}

} // namespace

std::unique_ptr<NativeCode> jit_compile(Module& module) {
    if (!jit_available()) return nullptr;
    Assembler as;
    const bool explicit_bounds = !guard_page_bounds_checks();
    struct Patch {
        CompiledFunction* function;
        uint32_t at;
        size_t offset;
    };
    std::vector<Patch> patches;
    std::vector<FunctionTranslator::CallFixup> calls;
    std::vector<size_t> starts(module.compiled.size(), SIZE_MAX);
    std::vector<std::pair<uint32_t, size_t>> entries;
    size_t words = 0;
    for (const auto& cf : module.compiled)
        words += cf->code.size();
    as.code.reserve(words * 10); // about what the templates make per word of internal code
    // The trampoline, at offset 0 (NativeCode::trampoline): (rdi = state, rsi = target) loads
    // the pinned registers and jumps.
    for (Reg r : cache_regs) // callee-saved: restored by every exit (emit_exit_tail)
        as.push(r);
    as.mov_rr(W::q, r8, rdi);
    as.mov_store(W::q, WBPF_STATE(entry_sp), rsp);
    as.lea(rcx, at(rsp, -native_call_stack));
    as.mov_store(W::q, WBPF_STATE(sp_floor), rcx);
    as.mov_rr(W::q, rax, rsi);
    as.mov_load(W::q, rdi, WBPF_STATE(fp));
    as.mov_load(W::q, rsi, WBPF_STATE(mem_base));
    as.mov_load(W::q, r9, WBPF_STATE(globals));
    as.mov_load(W::q, r10, WBPF_STATE(interrupt));
    as.mov_load(W::q, r11, WBPF_STATE(mem_size));
    as.mov_load(W::q, r11, at(r11, 0));
    as.jmp_reg(rax);
    std::vector<std::pair<size_t, size_t>> ranges(module.compiled.size()); // for the perf map
    for (size_t i = 0; i < module.compiled.size(); ++i) {
        CompiledFunction& cf = *module.compiled[i];
        cf.entry = cf.code.data();
        FunctionTranslator translator(module, cf, as, explicit_bounds, calls);
        entries.clear();
        ranges[i].first = as.size();
        const bool translated = translator.translate(entries, starts[i]);
        ranges[i].second = as.size();
        if (!translated) continue;
        for (const auto& e : entries)
            patches.push_back(Patch{&cf, e.first, e.second});
    }
    for (const auto& cf : module.compiled) // translated once per module: no longer needed
        std::vector<uint16_t>().swap(cf->live_heights);
    if (patches.empty()) return nullptr;
    // One call prologue per function called natively, after all the functions, with one exit.
    std::vector<size_t> prologues(module.compiled.size(), SIZE_MAX);
    Label prologue_exit;
    for (const auto& c : calls) {
        if (prologues[c.callee] != SIZE_MAX) continue;
        prologues[c.callee] = as.size();
        emit_call_prologue(as, module, c.callee, starts[c.callee], prologue_exit);
    }
    as.bind(prologue_exit);
    emit_exit_tail(as);
    for (const auto& c : calls)
        as.put_u32(c.rel32, static_cast<uint32_t>(static_cast<int64_t>(prologues[c.callee]) -
                                                  static_cast<int64_t>(c.rel32 + 4)));
    auto native = std::make_unique<NativeCode>(as.code.data(), as.size());
    const auto enter = reinterpret_cast<uint64_t>(
        interpreter_handler_table()[static_cast<size_t>(IOp::jit_enter)]);
    for (const Patch& p : patches) {
        p.function->code[p.at] = enter;
        p.function->code[p.at + 1] = reinterpret_cast<uint64_t>(native->base() + p.offset);
    }
    if (perf_map_wanted()) write_perf_map(module, *native, ranges);
    return native;
}

} // namespace wbpf::wasm
