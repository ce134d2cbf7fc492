// Function-body validation and translation into internal code (code.hpp), in one pass.
//
// The validator follows the Wasm 2.0 spec's validation algorithm (appendix) with explicit
// operand and control stacks: nothing recurses on input. Because it knows the operand-stack
// height at every instruction, each operand gets a fixed frame slot and the emitted code is
// register style. See docs/ENGINE.md for the whole design; the points that matter here:
//   - an operand-stack entry is either *own* (its value is in its natural slot), an alias of a
//     local (`local.get` emits nothing: readers use the local's slot), or a pending constant
//     (readers use an `_imm` instruction variant, or the constant is materialised on demand);
//   - pending entries are materialised (copied into their natural slots) before anything that
//     could change their value (a write to the aliased local) and at block boundaries, so at
//     every label all live values are in their natural slots;
//   - `local.set` right after the instruction that produced its operand retargets that
//     instruction's destination to the local; an integer compare followed by `br_if` / `if`
//     becomes one compare-and-branch instruction.
#include "compiler.hpp"

#include "code.hpp"
#include "error.hpp"
#include "leb128.hpp"
#include "opcodes.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace wbpf::wasm {
namespace {

/// The type of a value popped from the polymorphic stack of unreachable code.
constexpr ValType unknown_type = static_cast<ValType>(0);

/// Implementation limits keeping hostile bodies from exhausting host memory or time.
constexpr uint32_t max_operand_height = 1u << 20;
constexpr uint32_t max_control_depth = 1u << 20;
constexpr size_t code_words_per_body_byte = 16;
/// Bound on operand-type checks done for multi-value signatures (branch labels, calls, block
/// params), which the spec's algorithm repeats per instruction: hostile bodies could otherwise
/// make validation quadratic (a 100,000-result label targeted by a million `br_if`s).
constexpr size_t signature_checks_per_body_byte = 64;

[[noreturn]] void invalid(const std::string& message) {
    throw ValidationError(message);
}

struct NumericInfo {
    IOp op = IOp::count_;
    uint8_t arity = 0;
    ValType operand = ValType::i32;
    ValType result = ValType::i32;
};

constexpr std::array<NumericInfo, 256> make_numeric_table() {
    std::array<NumericInfo, 256> table{};
#define WBPF_X(name, code, ar, in, out)                                                            \
    table[code] = NumericInfo{IOp::name, ar, ValType::in, ValType::out};
    WBPF_NUMERIC_OPS(WBPF_X)
#undef WBPF_X
    return table;
}
constexpr std::array<NumericInfo, 256> numeric_table = make_numeric_table();

constexpr std::array<NumericInfo, 8> make_trunc_sat_table() {
    std::array<NumericInfo, 8> table{};
#define WBPF_X(name, code, in, out)                                                                \
    table[code] = NumericInfo{IOp::name, 1, ValType::in, ValType::out};
    WBPF_TRUNC_SAT_OPS(WBPF_X)
#undef WBPF_X
    return table;
}
constexpr std::array<NumericInfo, 8> trunc_sat_table = make_trunc_sat_table();

/// The `_imm` variant of a binary integer op, or IOp::count_.
IOp imm_variant(IOp op) {
    switch (op) {
#define WBPF_X(name)                                                                               \
    case IOp::name: return IOp::name##_imm;
        WBPF_IMM_OPS(WBPF_X)
#undef WBPF_X
    default: return IOp::count_;
    }
}

/// The compare-and-branch instruction for integer compare `op`, or IOp::count_.
IOp fused_branch(IOp op, bool imm) {
    switch (op) {
#define WBPF_X(name)                                                                               \
    case IOp::name: return imm ? IOp::br_##name##_imm : IOp::br_##name;
        WBPF_CMP_OPS(WBPF_X)
#undef WBPF_X
    default: return IOp::count_;
    }
}

/// The add-compare-and-branch instruction for i32 compare `op`, or IOp::count_.
IOp fused_add_branch(IOp op, bool imm) {
    switch (op) {
#define WBPF_X(name)                                                                               \
    case IOp::name: return imm ? IOp::add_br_##name##_imm : IOp::add_br_##name;
        WBPF_CMP32_OPS(WBPF_X)
#undef WBPF_X
    default: return IOp::count_;
    }
}

/// For an integer compare: the compare that is true exactly when `op` is false.
IOp inverse_compare(IOp op) {
    switch (op) {
    case IOp::i32_eq: return IOp::i32_ne;
    case IOp::i32_ne: return IOp::i32_eq;
    case IOp::i32_lt_s: return IOp::i32_ge_s;
    case IOp::i32_lt_u: return IOp::i32_ge_u;
    case IOp::i32_gt_s: return IOp::i32_le_s;
    case IOp::i32_gt_u: return IOp::i32_le_u;
    case IOp::i32_le_s: return IOp::i32_gt_s;
    case IOp::i32_le_u: return IOp::i32_gt_u;
    case IOp::i32_ge_s: return IOp::i32_lt_s;
    case IOp::i32_ge_u: return IOp::i32_lt_u;
    case IOp::i64_eq: return IOp::i64_ne;
    case IOp::i64_ne: return IOp::i64_eq;
    case IOp::i64_lt_s: return IOp::i64_ge_s;
    case IOp::i64_lt_u: return IOp::i64_ge_u;
    case IOp::i64_gt_s: return IOp::i64_le_s;
    case IOp::i64_gt_u: return IOp::i64_le_u;
    case IOp::i64_le_s: return IOp::i64_gt_s;
    case IOp::i64_le_u: return IOp::i64_gt_u;
    case IOp::i64_ge_s: return IOp::i64_lt_s;
    case IOp::i64_ge_u: return IOp::i64_lt_u;
    default: return IOp::count_;
    }
}

/// For a binary op: the op computing the same result with the operands swapped, or count_.
IOp swapped_operands(IOp op) {
    switch (op) {
    case IOp::i32_add:
    case IOp::i32_mul:
    case IOp::i32_and:
    case IOp::i32_or:
    case IOp::i32_xor:
    case IOp::i32_eq:
    case IOp::i32_ne:
    case IOp::i64_add:
    case IOp::i64_mul:
    case IOp::i64_and:
    case IOp::i64_or:
    case IOp::i64_xor:
    case IOp::i64_eq:
    case IOp::i64_ne: return op;
    case IOp::i32_lt_s: return IOp::i32_gt_s;
    case IOp::i32_lt_u: return IOp::i32_gt_u;
    case IOp::i32_gt_s: return IOp::i32_lt_s;
    case IOp::i32_gt_u: return IOp::i32_lt_u;
    case IOp::i32_le_s: return IOp::i32_ge_s;
    case IOp::i32_le_u: return IOp::i32_ge_u;
    case IOp::i32_ge_s: return IOp::i32_le_s;
    case IOp::i32_ge_u: return IOp::i32_le_u;
    case IOp::i64_lt_s: return IOp::i64_gt_s;
    case IOp::i64_lt_u: return IOp::i64_gt_u;
    case IOp::i64_gt_s: return IOp::i64_lt_s;
    case IOp::i64_gt_u: return IOp::i64_lt_u;
    case IOp::i64_le_s: return IOp::i64_ge_s;
    case IOp::i64_le_u: return IOp::i64_ge_u;
    case IOp::i64_ge_s: return IOp::i64_le_s;
    case IOp::i64_ge_u: return IOp::i64_le_u;
    default: return IOp::count_;
    }
}

bool is_i64_op(IOp op) {
    return (op >= IOp::i64_eqz && op <= IOp::i64_ge_u) ||
           (op >= IOp::i64_clz && op <= IOp::i64_rotr);
}

/// Natural alignment (log2 of the access size) of load/store opcodes 0x28-0x3e.
constexpr std::array<uint8_t, 23> memory_natural_align = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1,
                                                          2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2};
constexpr std::array<ValType, 23> memory_value_type = {
    ValType::i32, ValType::i64, ValType::f32, ValType::f64, ValType::i32, ValType::i32,
    ValType::i32, ValType::i32, ValType::i64, ValType::i64, ValType::i64, ValType::i64,
    ValType::i64, ValType::i64, ValType::i32, ValType::i64, ValType::f32, ValType::f64,
    ValType::i32, ValType::i32, ValType::i64, ValType::i64, ValType::i64};

/// Where an operand-stack entry's value is: own (its natural slot), local (a local's slot),
/// constant (nothing emitted yet), local_add (`local + value` as an i32 with 32-bit wrap,
/// nothing emitted yet: address arithmetic that loads and stores absorb).
enum class EntryKind : uint8_t { own, local, constant, local_add };

/// Entries whose value depends on a local (materialised before the local is written).
constexpr bool reads_local(EntryKind k) {
    return k == EntryKind::local || k == EntryKind::local_add;
}

/// A compile-time operand-stack entry. Entries reading one local form a doubly linked list
/// (newest first) so a write to the local can materialise exactly those in O(1) each.
struct Entry {
    ValType type = unknown_type;
    EntryKind kind = EntryKind::own;
    uint32_t local_slot = 0; ///< local / local_add: the local's slot offset
    int32_t older = -1;      ///< local / local_add: older alias of the same local
    int32_t newer = -1;      ///< local / local_add: newer alias of the same local
    uint64_t value = 0;      ///< constant: the bits; local_add: the addend (low 32 bits)
};

/// A popped entry with the stack position it had (whose natural slot it may use).
struct Operand {
    Entry entry;
    uint32_t pos = 0;
};

enum class CtrlKind : uint8_t { block, loop, if_, else_, function };

struct Ctrl {
    CtrlKind kind = CtrlKind::block;
    bool unreachable = false;
    bool dead = false; ///< entered in unreachable code: nothing inside is emitted
    uint32_t height = 0;
    const ValType* params = nullptr;
    uint32_t param_count = 0;
    const ValType* results = nullptr;
    uint32_t result_count = 0;
    uint32_t loop_start = 0; ///< CtrlKind::loop: word index of the loop header
    int32_t patch_head = -1; ///< forward branches to the end of this block
    int32_t else_patch = -1; ///< CtrlKind::if_: the branch to the else arm

    const ValType* label_types() const { return kind == CtrlKind::loop ? params : results; }
    uint32_t label_arity() const { return kind == CtrlKind::loop ? param_count : result_count; }
};

/// A branch operand waiting for its target: u32 operand index `operand` (in the code viewed
/// as u32s) of the instruction starting at word `instr`.
struct Patch {
    uint32_t operand = 0;
    uint32_t instr = 0;
    int32_t next = -1;
};

/// The instruction most recently emitted, for peephole rewrites.
struct LastInstr {
    uint32_t start = UINT32_MAX; ///< word index; UINT32_MAX when there is none usable
    uint32_t end = 0;
    bool has_dst = false; ///< operand 0 is the destination slot
    uint32_t dst = 0;
    IOp compare = IOp::count_; ///< the integer compare it computes, if any
    bool compare_imm = false;
    uint32_t a = 0, b = 0;
    uint64_t imm = 0;
    /// It is `i32.add dst, a, imm` (or a subtraction of a constant, stored as an addition):
    /// a load or store of the result can fold it in (`*_ai`).
    bool add_imm = false;
    /// It is a load (kind index 0-13, plain or `_ai`) reading at `(u32)(a + imm) + offset`:
    /// a store of exactly its result becomes a memory-to-memory move.
    int load_kind = -1;
    uint32_t offset = 0;
    IOp op = IOp::count_; ///< for `_imm` integer ops: the kind (`a` and `imm` are set)
};

const ValType single_types[] = {ValType::i32, ValType::i64,     ValType::f32,
                                ValType::f64, ValType::funcref, ValType::externref};

const ValType* single_type_ptr(ValType t) {
    switch (t) {
    case ValType::i32: return &single_types[0];
    case ValType::i64: return &single_types[1];
    case ValType::f32: return &single_types[2];
    case ValType::f64: return &single_types[3];
    case ValType::funcref: return &single_types[4];
    default: return &single_types[5];
    }
}

/// Debugging aid: with WBPF_DUMP_CODE set in the environment, every compiled function's
/// internal code is printed to stderr (one instruction a line: word index, kind, operands).
bool dump_enabled() {
    static const bool enabled = std::getenv("WBPF_DUMP_CODE") != nullptr;
    return enabled;
}

const char* iop_name(IOp op) {
#define WBPF_N_NUM(name, ...) #name,
#define WBPF_N_NAME(name) #name,
#define WBPF_N_IMM(name) #name "_imm",
#define WBPF_N_BR(name) "br_" #name, "br_" #name "_imm",
#define WBPF_N_ADD_BR(name) "add_br_" #name, "add_br_" #name "_imm",
    static const char* const names[] = {
        WBPF_NUMERIC_OPS(WBPF_N_NUM) WBPF_TRUNC_SAT_OPS(WBPF_N_NUM) WBPF_IMM_OPS(WBPF_N_IMM)
            WBPF_CMP_OPS(WBPF_N_BR) WBPF_CMP32_OPS(WBPF_N_ADD_BR) WBPF_OTHER_OPS(WBPF_N_NAME)};
#undef WBPF_N_NUM
#undef WBPF_N_NAME
#undef WBPF_N_IMM
#undef WBPF_N_BR
#undef WBPF_N_ADD_BR
    return names[static_cast<size_t>(op)];
}

/// Prints `code` given the start word and kind of every instruction emitted (entries later
/// truncated by a peephole are dropped here).
void dump_code(uint32_t function, const std::vector<uint64_t>& code,
               const std::vector<std::pair<uint32_t, IOp>>& starts) {
    std::vector<std::pair<uint32_t, IOp>> live;
    for (const auto& s : starts) {
        while (!live.empty() && live.back().first >= s.first)
            live.pop_back();
        live.push_back(s);
    }
    while (!live.empty() && live.back().first >= code.size())
        live.pop_back();
    std::fprintf(stderr, "function %u (%zu words)\n", function, code.size());
    for (size_t i = 0; i < live.size(); ++i) {
        const uint32_t start = live[i].first;
        const size_t end = i + 1 < live.size() ? live[i + 1].first : code.size();
        std::fprintf(stderr, "  %5u %-20s", start, iop_name(live[i].second));
        for (size_t w = start + 1; w < end; ++w)
            std::fprintf(stderr, " %d %d", static_cast<int32_t>(code[w] & 0xffffffffu),
                         static_cast<int32_t>(code[w] >> 32));
        std::fprintf(stderr, "\n");
    }
}

class FunctionCompiler {
public:
    FunctionCompiler(const Module& module, const std::vector<bool>& declared_refs,
                     uint32_t defined_index)
        : module_(module), declared_refs_(declared_refs),
          type_(module.types[module.functions[defined_index]]),
          code_info_(module.codes[defined_index]),
          reader_(module.slice(code_info_.body), code_info_.body.offset,
                  "unexpected end of section or function"),
          handlers_(interpreter_handler_table()), defined_index_(defined_index) {}

    std::unique_ptr<CompiledFunction> compile();

private:
    // ---- Slots and emission ----

    uint32_t slot_of(uint32_t pos) const { return (local_count_ + pos) * 8; }
    bool live() const { return !ctrls_.back().unreachable && !ctrls_.back().dead; }

    uint32_t emit(IOp op, std::initializer_list<uint32_t> operands, bool has_imm64 = false,
                  uint64_t imm64 = 0);
    /// The wasm instruction about to be compiled begins (CompiledFunction::live_heights).
    void note_op_start() {
        op_start_height_ = height();
        // Entries above the last own one are pending (an alias or a constant): their slots
        // hold nothing yet. At most 16 are looked at (a long run of pending entries would
        // make this quadratic); stopping early only counts more slots as live.
        uint32_t own = height();
        const uint32_t floor = own > 16 ? own - 16 : 0;
        while (own > floor && stack_[own - 1].kind != EntryKind::own)
            --own;
        op_start_own_height_ = own;
        op_emitted_ = false;
    }
    /// Records the live height of the instruction emitted at `start` (see
    /// CompiledFunction::live_heights). For the wasm instruction's first emission: up to its
    /// last own entry when it began. For later ones: its whole height then, since it may
    /// have popped values it materialises now (as `return` does). It may replace an
    /// instruction a fusion removed there: the larger height stays (it only ever needs to be
    /// high enough).
    void note_emission(uint32_t start) {
        if (live_heights_.size() <= start) live_heights_.resize(start + 1, 0);
        const uint32_t live = op_emitted_ ? op_start_height_ : op_start_own_height_;
        op_emitted_ = true;
        const auto h = static_cast<uint16_t>(std::min<uint32_t>(live, live_height_unknown));
        live_heights_[start] = std::max(live_heights_[start], h);
    }
    void set_operand(uint32_t instr, uint32_t k, uint32_t value) {
        std::memcpy(reinterpret_cast<uint8_t*>(code_.data() + instr + 1) + 4 * k, &value, 4);
    }
    uint32_t get_operand(uint32_t instr, uint32_t k) const {
        uint32_t v;
        std::memcpy(&v, reinterpret_cast<const uint8_t*>(code_.data() + instr + 1) + 4 * k, 4);
        return v;
    }
    void record_last(uint32_t start, bool has_dst, uint32_t dst) {
        // The previous instruction stays known when the new one directly follows it.
        if (last_.start != UINT32_MAX && last_.end == start)
            prev_ = last_;
        else
            prev_.start = UINT32_MAX;
        last_ = LastInstr{};
        last_.start = start;
        last_.end = static_cast<uint32_t>(code_.size());
        last_.has_dst = has_dst;
        last_.dst = dst;
    }
    bool last_valid() const { return last_.start != UINT32_MAX && last_.end == code_.size(); }
    /// The address operand was just computed by an `i32.add`/`i32.sub` of a constant, the
    /// last instruction emitted, whose result nothing else reads: a load/store can absorb it.
    bool address_is_last_add(const Operand& addr) const {
        return addr.entry.kind == EntryKind::own && last_valid() && last_.add_imm &&
               last_.has_dst && last_.dst == slot_of(addr.pos);
    }
    void forget_last() { last_.start = UINT32_MAX; }

    // ---- Operand stack ----

    uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }
    void push_own(ValType t);
    void push_entry(const Entry& e);
    void push_const(ValType t, uint64_t bits) {
        Entry e;
        e.type = t;
        e.kind = EntryKind::constant;
        e.value = bits;
        push_entry(e);
    }
    Operand pop(ValType expected);
    Operand pop_any() { return pop(unknown_type); }
    void unlink_alias(uint32_t pos);
    void materialise(uint32_t pos);
    /// Emits the code putting pending entry `e`'s value into slot `dst` (nothing for own).
    void emit_pending(uint32_t dst, const Entry& e);
    void materialise_all();
    void materialise_aliases_of(uint32_t local_slot);
    /// The slot holding operand `o`'s value (materialising a constant into its natural slot).
    uint32_t slot(Operand& o);
    void truncate_stack(uint32_t new_height);
    void set_unreachable();
    /// Accounts for `n` signature operand checks; throws once the function's budget is spent.
    void charge(size_t n) {
        work_ += n;
        if (work_ > work_limit_) throw UnsupportedError("function too complex to validate");
    }

    // ---- Control ----

    void read_block_type(Ctrl& c);
    void push_ctrl(CtrlKind kind, Ctrl c);
    Ctrl& label(uint32_t depth) {
        if (depth >= ctrls_.size()) invalid("unknown label");
        return ctrls_[ctrls_.size() - 1 - depth];
    }
    uint32_t new_patch(uint32_t instr, uint32_t operand_index);
    void add_forward_branch(Ctrl& target, uint32_t instr, uint32_t operand_index);
    void resolve(int32_t head, uint32_t target_word);
    /// Points branch operand `operand_index` of `instr` at `target` (label depth).
    void link_branch(Ctrl& target, uint32_t instr, uint32_t operand_index);
    /// Emits the copies moving the top `count` operands `vals` into the label's slots.
    void emit_label_copies(const Ctrl& target, const std::vector<Operand>& vals);
    bool needs_copies(const Ctrl& target, const std::vector<Operand>& vals) const;
    /// `unconditional`: nothing runs after the return sequence on the fall-through path, so
    /// the instruction that computed a single result may write it to slot 0 directly.
    void emit_return(const std::vector<Operand>& vals, bool unconditional);
    std::vector<Operand> pop_label_values(const Ctrl& target);
    void push_back_values(const Ctrl& target, const std::vector<Operand>& vals);

    // ---- Instructions ----

    void op_block(CtrlKind kind);
    void op_if();
    void op_else();
    void op_end();
    void op_br(uint32_t depth);
    void op_br_if(uint32_t depth);
    void op_br_table();
    void op_call(const FuncType& type, IOp op, uint32_t index, uint32_t table);
    void op_local_set(uint32_t index, bool tee);
    void op_numeric(const NumericInfo& info);
    /// Fuses `or` with the two shifts that computed its operands, if they were just emitted.
    bool try_shift_or(const Operand& a, const Operand& b, bool is64);
    void op_load(uint8_t opcode);
    void op_store(uint8_t opcode);
    void op_select(ValType typed);
    void op_prefixed();
    void check_memory() const {
        if (module_.memory_count() == 0) invalid("unknown memory");
    }
    void check_table(uint32_t index) const {
        if (index >= module_.table_count()) invalid("unknown table");
    }
    ValType read_ref_type();
    void read_zero_byte() {
        if (reader_.u8() != 0) reader_.fail("zero byte expected");
    }
    /// Pops the i32 condition of a conditional branch; returns the fused compare (truncating
    /// its code) when the condition was computed by the instruction just emitted.
    /// With `allow_add`, an `i32.add` of a constant just before the compare (or a `local.tee`
    /// of one as the condition) is taken too, into fused_add_ (nothing may be emitted between
    /// this and the branch).
    bool take_fused_compare(Operand& cond, LastInstr& cmp, bool allow_add);
    void emit_conditional_branch(Operand& cond, bool fused, const LastInstr& cmp,
                                 bool branch_if_true, uint32_t& instr, uint32_t& operand_index);

    const Module& module_;
    const std::vector<bool>& declared_refs_;
    const FuncType& type_;
    const Code& code_info_;
    ByteReader reader_;
    const void* const* handlers_;
    uint32_t defined_index_;

    std::vector<ValType> local_types_;
    uint32_t local_count_ = 0; ///< params + declared locals
    std::vector<Entry> stack_;
    std::vector<Ctrl> ctrls_;
    std::vector<Patch> patches_;
    std::vector<int32_t> alias_head_; ///< per local: newest alias entry, or -1
    std::vector<uint64_t> code_;
    size_t code_limit_ = 0;
    size_t work_ = 0;
    size_t work_limit_ = 0;
    uint32_t max_height_ = 0;
    /// live_heights: the heights recorded so far.
    uint32_t op_start_height_ = 0;     ///< when the wasm instruction being compiled began
    uint32_t op_start_own_height_ = 0; ///< the same, up to its last own entry
    bool op_emitted_ = false;          ///< it has emitted an instruction
    std::vector<uint16_t> live_heights_;
    uint32_t watermark_ = 0; ///< entries below this position are all own
    LastInstr last_;
    LastInstr prev_;      ///< the instruction before last_, when directly before it
    LastInstr fused_add_; ///< take_fused_compare's add for emit_conditional_branch
    std::vector<std::pair<uint32_t, IOp>> dump_starts_; ///< WBPF_DUMP_CODE only
};

uint32_t FunctionCompiler::emit(IOp op, std::initializer_list<uint32_t> operands, bool has_imm64,
                                uint64_t imm64) {
    if (!live()) return UINT32_MAX;
    const uint32_t start = static_cast<uint32_t>(code_.size());
    const size_t words = 1 + (operands.size() + 1) / 2 + (has_imm64 ? 1 : 0);
    if (code_.size() + words > code_limit_) throw UnsupportedError("function too large to compile");
    code_.resize(code_.size() + words, 0);
    code_[start] = reinterpret_cast<uint64_t>(handlers_[static_cast<size_t>(op)]);
    note_emission(start);
    if (dump_enabled()) dump_starts_.emplace_back(start, op);
    uint32_t k = 0;
    for (uint32_t v : operands)
        set_operand(start, k++, v);
    if (has_imm64) code_[start + words - 1] = imm64;
    return start;
}

void FunctionCompiler::push_own(ValType t) {
    Entry e;
    e.type = t;
    push_entry(e);
}

void FunctionCompiler::push_entry(const Entry& in) {
    if (stack_.size() >= max_operand_height)
        throw UnsupportedError("function too complex: operand stack too deep");
    Entry e = in;
    const uint32_t pos = height();
    if (reads_local(e.kind)) {
        const uint32_t local = e.local_slot / 8;
        e.older = alias_head_[local];
        e.newer = -1;
        if (e.older >= 0) stack_[static_cast<uint32_t>(e.older)].newer = static_cast<int32_t>(pos);
        alias_head_[local] = static_cast<int32_t>(pos);
    }
    stack_.push_back(e);
    max_height_ = std::max(max_height_, height());
}

void FunctionCompiler::unlink_alias(uint32_t pos) {
    Entry& e = stack_[pos];
    if (e.newer >= 0)
        stack_[static_cast<uint32_t>(e.newer)].older = e.older;
    else
        alias_head_[e.local_slot / 8] = e.older;
    if (e.older >= 0) stack_[static_cast<uint32_t>(e.older)].newer = e.newer;
    e.older = e.newer = -1;
}

Operand FunctionCompiler::pop(ValType expected) {
    const Ctrl& c = ctrls_.back();
    if (height() == c.height) {
        if (c.unreachable) return Operand{Entry{}, height()};
        invalid("type mismatch");
    }
    const uint32_t pos = height() - 1;
    Entry e = stack_[pos];
    if (expected != unknown_type && e.type != unknown_type && e.type != expected)
        invalid("type mismatch");
    if (reads_local(e.kind)) unlink_alias(pos);
    stack_.pop_back();
    watermark_ = std::min(watermark_, height());
    return Operand{e, pos};
}

void FunctionCompiler::emit_pending(uint32_t dst, const Entry& e) {
    switch (e.kind) {
    case EntryKind::own: break;
    case EntryKind::local:
        if (e.local_slot != dst) emit(IOp::copy, {dst, e.local_slot});
        break;
    case EntryKind::constant:
        if (e.value <= UINT32_MAX)
            emit(IOp::const32, {dst, static_cast<uint32_t>(e.value)});
        else
            emit(IOp::const64, {dst}, true, e.value);
        break;
    case EntryKind::local_add:
        emit(IOp::i32_add_imm, {dst, e.local_slot, static_cast<uint32_t>(e.value)});
        break;
    }
}

void FunctionCompiler::materialise(uint32_t pos) {
    Entry& e = stack_[pos];
    if (e.kind == EntryKind::own) return;
    const uint32_t dst = slot_of(pos);
    emit_pending(dst, e); // (a natural slot is never a local's slot: locals copy)
    if (reads_local(e.kind)) unlink_alias(pos);
    e.kind = EntryKind::own;
}

void FunctionCompiler::materialise_all() {
    for (uint32_t pos = watermark_; pos < height(); ++pos)
        materialise(pos);
    watermark_ = height();
}

void FunctionCompiler::materialise_aliases_of(uint32_t local_slot) {
    int32_t pos = alias_head_[local_slot / 8];
    while (pos >= 0) {
        const int32_t older = stack_[static_cast<uint32_t>(pos)].older;
        materialise(static_cast<uint32_t>(pos));
        pos = older;
    }
}

uint32_t FunctionCompiler::slot(Operand& o) {
    switch (o.entry.kind) {
    case EntryKind::own: return slot_of(o.pos);
    case EntryKind::local: return o.entry.local_slot;
    case EntryKind::constant:
    case EntryKind::local_add: {
        const uint32_t dst = slot_of(o.pos);
        emit_pending(dst, o.entry);
        o.entry.kind = EntryKind::own;
        return dst;
    }
    }
    return 0;
}

void FunctionCompiler::truncate_stack(uint32_t new_height) {
    while (height() > new_height) {
        if (reads_local(stack_.back().kind)) unlink_alias(height() - 1);
        stack_.pop_back();
    }
    watermark_ = std::min(watermark_, height());
}

void FunctionCompiler::set_unreachable() {
    truncate_stack(ctrls_.back().height);
    ctrls_.back().unreachable = true;
    forget_last();
}

// ---- Control ----

void FunctionCompiler::read_block_type(Ctrl& c) {
    const uint8_t b = reader_.peek_u8();
    if (b == 0x40) {
        reader_.u8();
        return;
    }
    switch (b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x70:
    case 0x6f:
        reader_.u8();
        c.results = single_type_ptr(static_cast<ValType>(b));
        c.result_count = 1;
        return;
    case 0x7b: throw UnsupportedError("SIMD is not supported yet");
    default: break;
    }
    const size_t at = reader_.offset();
    const int64_t index = reader_.s33();
    if (index < 0) reader_.fail_at("malformed block type", at);
    if (static_cast<uint64_t>(index) >= module_.types.size()) invalid("unknown type");
    const FuncType& ft = module_.types[static_cast<size_t>(index)];
    c.params = ft.params.data();
    c.param_count = static_cast<uint32_t>(ft.params.size());
    c.results = ft.results.data();
    c.result_count = static_cast<uint32_t>(ft.results.size());
}

void FunctionCompiler::push_ctrl(CtrlKind kind, Ctrl c) {
    if (ctrls_.size() >= max_control_depth)
        throw UnsupportedError("function too complex: blocks nested too deeply");
    c.kind = kind;
    c.dead = !ctrls_.empty() && (ctrls_.back().unreachable || ctrls_.back().dead);
    c.height = height();
    ctrls_.push_back(c);
}

uint32_t FunctionCompiler::new_patch(uint32_t instr, uint32_t operand_index) {
    patches_.push_back(Patch{operand_index, instr, -1});
    return static_cast<uint32_t>(patches_.size() - 1);
}

void FunctionCompiler::add_forward_branch(Ctrl& target, uint32_t instr, uint32_t operand_index) {
    const uint32_t p = new_patch(instr, operand_index);
    patches_[p].next = target.patch_head;
    target.patch_head = static_cast<int32_t>(p);
}

void FunctionCompiler::resolve(int32_t head, uint32_t target_word) {
    while (head >= 0) {
        const Patch& p = patches_[static_cast<uint32_t>(head)];
        set_operand(p.instr, p.operand,
                    static_cast<uint32_t>(static_cast<int32_t>(target_word) -
                                          static_cast<int32_t>(p.instr)));
        head = p.next;
    }
}

void FunctionCompiler::link_branch(Ctrl& target, uint32_t instr, uint32_t operand_index) {
    if (instr == UINT32_MAX) return;
    if (target.kind == CtrlKind::loop)
        set_operand(instr, operand_index,
                    static_cast<uint32_t>(static_cast<int32_t>(target.loop_start) -
                                          static_cast<int32_t>(instr)));
    else
        add_forward_branch(target, instr, operand_index);
}

std::vector<Operand> FunctionCompiler::pop_label_values(const Ctrl& target) {
    const uint32_t n = target.label_arity();
    const ValType* types = target.label_types();
    charge(n);
    std::vector<Operand> vals(n);
    for (uint32_t i = n; i-- > 0;)
        vals[i] = pop(types[i]);
    return vals;
}

void FunctionCompiler::push_back_values(const Ctrl& target, const std::vector<Operand>& vals) {
    const ValType* types = target.label_types();
    for (size_t i = 0; i < vals.size(); ++i) {
        Entry e = vals[i].entry;
        e.type = types[i];
        push_entry(e);
    }
}

bool FunctionCompiler::needs_copies(const Ctrl& target, const std::vector<Operand>& vals) const {
    for (size_t i = 0; i < vals.size(); ++i) {
        const uint32_t dst = slot_of(target.height + static_cast<uint32_t>(i));
        const Entry& e = vals[i].entry;
        if (e.kind == EntryKind::constant || e.kind == EntryKind::local_add) return true;
        const uint32_t src = e.kind == EntryKind::local ? e.local_slot : slot_of(vals[i].pos);
        if (src != dst) return true;
    }
    return false;
}

void FunctionCompiler::emit_label_copies(const Ctrl& target, const std::vector<Operand>& vals) {
    // Destinations are at or below their sources, so ascending order never clobbers a
    // source still to be read (locals lie below all natural slots).
    for (size_t i = 0; i < vals.size(); ++i) {
        const uint32_t dst = slot_of(target.height + static_cast<uint32_t>(i));
        const Entry& e = vals[i].entry;
        if (e.kind != EntryKind::own) {
            emit_pending(dst, e);
            continue;
        }
        const uint32_t src = slot_of(vals[i].pos);
        if (src != dst) emit(IOp::copy, {dst, src});
    }
}

void FunctionCompiler::emit_return(const std::vector<Operand>& vals, bool unconditional) {
    const uint32_t n = static_cast<uint32_t>(vals.size());
    if (unconditional && n == 1 && vals[0].entry.kind == EntryKind::own && last_valid() &&
        last_.has_dst && last_.dst == slot_of(vals[0].pos)) {
        // The result's producer was just emitted: it writes fp[0] itself (its operands are
        // read before its destination is written).
        set_operand(last_.start, 0, 0);
        forget_last();
        emit(IOp::ret, {});
        return;
    }
    // Results go to slots 0..n-1, which may be locals other results still read: move those
    // sources to their natural slots first; the remaining moves are safe in ascending order.
    std::vector<Operand> moved = vals;
    for (uint32_t i = 0; i < n; ++i) {
        Entry& e = moved[i].entry;
        if (reads_local(e.kind) && e.local_slot < n * 8 &&
            (e.local_slot != i * 8 || e.kind == EntryKind::local_add)) {
            emit_pending(slot_of(moved[i].pos), e);
            e.kind = EntryKind::own;
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = moved[i].entry;
        const uint32_t dst = i * 8;
        if (e.kind != EntryKind::own) {
            emit_pending(dst, e);
            continue;
        }
        const uint32_t src = slot_of(moved[i].pos);
        if (src != dst) emit(IOp::copy, {dst, src});
    }
    emit(IOp::ret, {});
}

void FunctionCompiler::op_block(CtrlKind kind) {
    Ctrl c;
    read_block_type(c);
    charge(c.param_count + c.result_count);
    materialise_all();
    forget_last();
    std::vector<Operand> params(c.param_count);
    for (uint32_t i = c.param_count; i-- > 0;)
        params[i] = pop(c.params[i]);
    push_ctrl(kind, c);
    for (uint32_t i = 0; i < c.param_count; ++i)
        push_own(c.params[i]);
    watermark_ = height();
    if (kind == CtrlKind::loop) {
        // No instruction: every branch back to it checks for interrupts (interpreter JUMP).
        ctrls_.back().loop_start = static_cast<uint32_t>(code_.size());
    }
}

bool FunctionCompiler::take_fused_compare(Operand& cond, LastInstr& cmp, bool allow_add) {
    fused_add_.start = UINT32_MAX;
    if (!live() || !last_valid()) return false;
    if (allow_add && cond.entry.kind == EntryKind::local && last_.op == IOp::i32_add_imm &&
        last_.has_dst && last_.dst == cond.entry.local_slot) {
        // `local.tee x` of `x + c` as the condition: add, then branch if the sum is not zero.
        fused_add_ = last_;
        cmp = LastInstr{};
        cmp.compare = IOp::i32_ne;
        cmp.compare_imm = true;
        cmp.a = last_.dst;
        code_.resize(last_.start);
        forget_last();
        return true;
    }
    if (cond.entry.kind == EntryKind::own && last_.op == IOp::i32_and_imm && last_.has_dst &&
        last_.dst == slot_of(cond.pos)) {
        // `x & mask` as the condition: a test-and-branch (marked by its kind in `compare`).
        cmp = LastInstr{};
        cmp.compare = IOp::br_i32_test_imm;
        cmp.a = last_.a;
        cmp.imm = last_.imm;
        code_.resize(last_.start);
        forget_last();
        return true;
    }
    if (cond.entry.kind != EntryKind::own || last_.compare == IOp::count_ || !last_.has_dst ||
        last_.dst != slot_of(cond.pos))
        return false;
    cmp = last_;
    uint32_t start = last_.start;
    if (allow_add && prev_.start != UINT32_MAX && prev_.end == last_.start &&
        prev_.op == IOp::i32_add_imm && prev_.has_dst && prev_.dst == cmp.a &&
        fused_add_branch(cmp.compare, cmp.compare_imm) != IOp::count_) {
        // The compare tests the result of an add of a constant emitted just before it.
        fused_add_ = prev_;
        start = prev_.start;
    }
    code_.resize(start);
    forget_last();
    return true;
}

void FunctionCompiler::emit_conditional_branch(Operand& cond, bool fused, const LastInstr& cmp,
                                               bool branch_if_true, uint32_t& instr,
                                               uint32_t& operand_index) {
    if (!fused) {
        const uint32_t s = slot(cond);
        instr = emit(branch_if_true ? IOp::br_if : IOp::br_unless, {s, 0});
        operand_index = 1;
        return;
    }
    if (cmp.compare == IOp::br_i32_test_imm) {
        instr = emit(branch_if_true ? IOp::br_i32_test_imm : IOp::br_i32_test_z_imm,
                     {cmp.a, static_cast<uint32_t>(cmp.imm), 0});
        operand_index = 2;
        return;
    }
    IOp op = branch_if_true ? cmp.compare : inverse_compare(cmp.compare);
    const bool is64 = op >= IOp::i64_eq && op <= IOp::i64_ge_u;
    if (fused_add_.start != UINT32_MAX && !is64) {
        // [dst, a, addend, b or imm32, target]
        const LastInstr add = fused_add_;
        fused_add_.start = UINT32_MAX;
        const uint32_t b = cmp.compare_imm ? static_cast<uint32_t>(cmp.imm) : cmp.b;
        instr = emit(fused_add_branch(op, cmp.compare_imm),
                     {add.dst, add.a, static_cast<uint32_t>(add.imm), b, 0});
        operand_index = 4;
        return;
    }
    if (cmp.compare_imm && !is64 && cmp.imm == 0 && (op == IOp::i32_eq || op == IOp::i32_ne)) {
        // x == 0 / x != 0: the plain conditional branches.
        instr = emit(op == IOp::i32_ne ? IOp::br_if : IOp::br_unless, {cmp.a, 0});
        operand_index = 1;
        return;
    }
    const IOp br = fused_branch(op, cmp.compare_imm);
    if (!cmp.compare_imm) {
        instr = emit(br, {cmp.a, cmp.b, 0});
        operand_index = 2;
    } else if (is64) {
        instr = emit(br, {cmp.a, 0}, true, cmp.imm);
        operand_index = 1;
    } else {
        instr = emit(br, {cmp.a, static_cast<uint32_t>(cmp.imm), 0});
        operand_index = 2;
    }
}

void FunctionCompiler::op_if() {
    Ctrl c;
    read_block_type(c);
    charge(c.param_count + c.result_count);
    Operand cond = pop(ValType::i32);
    LastInstr cmp;
    // No add fusion here: materialise_all may emit copies reading the added-to local.
    const bool fused = take_fused_compare(cond, cmp, false);
    materialise_all();
    uint32_t cond_slot = 0;
    if (!fused) cond_slot = slot(cond);
    forget_last();
    std::vector<Operand> params(c.param_count);
    for (uint32_t i = c.param_count; i-- > 0;)
        params[i] = pop(c.params[i]);
    uint32_t instr = UINT32_MAX, operand_index = 0;
    if (fused) {
        emit_conditional_branch(cond, true, cmp, false, instr, operand_index);
    } else {
        instr = emit(IOp::br_unless, {cond_slot, 0});
        operand_index = 1;
    }
    push_ctrl(CtrlKind::if_, c);
    if (instr != UINT32_MAX)
        ctrls_.back().else_patch = static_cast<int32_t>(new_patch(instr, operand_index));
    for (uint32_t i = 0; i < c.param_count; ++i)
        push_own(c.params[i]);
    watermark_ = height();
}

void FunctionCompiler::op_else() {
    Ctrl& c = ctrls_.back();
    if (c.kind != CtrlKind::if_) reader_.fail("else without matching if");
    materialise_all();
    for (uint32_t i = c.result_count; i-- > 0;)
        pop(c.results[i]);
    if (height() != c.height) invalid("type mismatch");
    forget_last();
    if (live()) {
        const uint32_t instr = emit(IOp::br, {0});
        add_forward_branch(c, instr, 0);
    }
    if (c.else_patch >= 0) {
        patches_[static_cast<uint32_t>(c.else_patch)].next = -1;
        resolve(c.else_patch, static_cast<uint32_t>(code_.size()));
        c.else_patch = -1;
    }
    c.kind = CtrlKind::else_;
    c.unreachable = false;
    for (uint32_t i = 0; i < c.param_count; ++i)
        push_own(c.params[i]);
    watermark_ = height();
}

void FunctionCompiler::op_end() {
    Ctrl& c = ctrls_.back();
    if (c.kind == CtrlKind::function) {
        // Not a branch target (branches to the function label are returns): the last
        // instruction stays known for emit_return.
        std::vector<Operand> vals = pop_label_values(c);
        if (height() != c.height) invalid("type mismatch");
        emit_return(vals, true);
        forget_last();
        resolve(c.patch_head, static_cast<uint32_t>(code_.size())); // (none: br to it returns)
        ctrls_.pop_back();
        return;
    }
    forget_last();
    materialise_all();
    for (uint32_t i = c.result_count; i-- > 0;)
        pop(c.results[i]);
    if (height() != c.height) invalid("type mismatch");
    if (c.kind == CtrlKind::if_) {
        // No else arm: the implicit one passes the params through as results.
        if (c.param_count != c.result_count ||
            !std::equal(c.params, c.params + c.param_count, c.results))
            invalid("type mismatch");
        if (c.else_patch >= 0) {
            patches_[static_cast<uint32_t>(c.else_patch)].next = -1;
            resolve(c.else_patch, static_cast<uint32_t>(code_.size()));
        }
    }
    resolve(c.patch_head, static_cast<uint32_t>(code_.size()));
    const Ctrl done = c;
    ctrls_.pop_back();
    for (uint32_t i = 0; i < done.result_count; ++i)
        push_own(done.results[i]);
    watermark_ = height();
}

void FunctionCompiler::op_br(uint32_t depth) {
    Ctrl& target = label(depth);
    std::vector<Operand> vals = pop_label_values(target);
    if (live()) {
        if (target.kind == CtrlKind::function) {
            emit_return(vals, true);
        } else {
            emit_label_copies(target, vals);
            const uint32_t instr = emit(IOp::br, {0});
            link_branch(target, instr, 0);
        }
    }
    set_unreachable();
}

void FunctionCompiler::op_br_if(uint32_t depth) {
    Ctrl& target = label(depth);
    Operand cond = pop(ValType::i32);
    LastInstr cmp;
    const bool fused = take_fused_compare(cond, cmp, true);
    std::vector<Operand> vals = pop_label_values(target);
    if (live()) {
        const bool copies = target.kind == CtrlKind::function || needs_copies(target, vals);
        uint32_t instr = UINT32_MAX, operand_index = 0;
        if (!copies) {
            emit_conditional_branch(cond, fused, cmp, true, instr, operand_index);
            link_branch(target, instr, operand_index);
        } else {
            emit_conditional_branch(cond, fused, cmp, false, instr, operand_index);
            if (target.kind == CtrlKind::function) {
                emit_return(vals, false);
            } else {
                emit_label_copies(target, vals);
                const uint32_t br = emit(IOp::br, {0});
                link_branch(target, br, 0);
            }
            const uint32_t skip = new_patch(instr, operand_index);
            resolve(static_cast<int32_t>(skip), static_cast<uint32_t>(code_.size()));
        }
        forget_last();
    }
    push_back_values(target, vals);
}

void FunctionCompiler::op_br_table() {
    const uint32_t count = reader_.vector_count(1);
    std::vector<uint32_t> depths(count + 1);
    for (uint32_t i = 0; i <= count; ++i)
        depths[i] = reader_.u32();
    Operand index = pop(ValType::i32);
    const Ctrl& deflt = label(depths[count]);
    const uint32_t arity = deflt.label_arity();
    for (uint32_t i = 0; i <= count; ++i) {
        const Ctrl& t = label(depths[i]);
        if (t.label_arity() != arity) invalid("type mismatch");
        charge(arity);
        // Each label's types must match the operands (peek, polymorphic-aware).
        const ValType* types = t.label_types();
        const Ctrl& cur = ctrls_.back();
        for (uint32_t k = 0; k < arity; ++k) {
            const uint32_t from_top = arity - 1 - k;
            if (height() - cur.height <= from_top) {
                if (!cur.unreachable) invalid("type mismatch");
                continue;
            }
            const ValType have = stack_[height() - 1 - from_top].type;
            if (have != unknown_type && have != types[k]) invalid("type mismatch");
        }
    }
    std::vector<Operand> vals = pop_label_values(deflt);
    if (live()) {
        const uint32_t idx_slot = slot(index);
        // [index slot, n, target x (n + 1)]
        const uint32_t instr = static_cast<uint32_t>(code_.size());
        const size_t operands = 2 + count + 1;
        const size_t words = 1 + (operands + 1) / 2;
        if (code_.size() + words > code_limit_)
            throw UnsupportedError("function too large to compile");
        code_.resize(code_.size() + words, 0);
        code_[instr] = reinterpret_cast<uint64_t>(handlers_[static_cast<size_t>(IOp::br_table)]);
        note_emission(instr);
        if (dump_enabled()) dump_starts_.emplace_back(instr, IOp::br_table);
        set_operand(instr, 0, idx_slot);
        set_operand(instr, 1, count);
        std::unordered_map<uint32_t, uint32_t> trampolines; // depth -> trampoline word
        std::vector<uint32_t> pending;                      // entries needing a trampoline
        for (uint32_t i = 0; i <= count; ++i) {
            Ctrl& t = label(depths[i]);
            if (t.kind != CtrlKind::function && !needs_copies(t, vals))
                link_branch(t, instr, 2 + i);
            else
                pending.push_back(i);
        }
        for (uint32_t i : pending) {
            auto [it, inserted] = trampolines.try_emplace(depths[i], 0);
            if (inserted) {
                it->second = static_cast<uint32_t>(code_.size());
                Ctrl& t = label(depths[i]);
                if (t.kind == CtrlKind::function) {
                    emit_return(vals, false);
                } else {
                    emit_label_copies(t, vals);
                    const uint32_t br = emit(IOp::br, {0});
                    link_branch(t, br, 0);
                }
            }
            set_operand(instr, 2 + i,
                        static_cast<uint32_t>(static_cast<int32_t>(it->second) -
                                              static_cast<int32_t>(instr)));
        }
    }
    set_unreachable();
}

void FunctionCompiler::op_call(const FuncType& ft, IOp op, uint32_t index, uint32_t table) {
    const uint32_t nparams = static_cast<uint32_t>(ft.params.size());
    charge(ft.params.size() + ft.results.size());
    const uint32_t extra = op == IOp::call_indirect ? 1 : 0;
    if (live()) {
        const uint32_t base = ctrls_.back().height;
        const uint32_t top = height() >= extra ? height() - extra : 0;
        const uint32_t from = top >= nparams ? std::max(top - nparams, base) : base;
        for (uint32_t pos = from; pos < top; ++pos)
            materialise(pos);
    }
    uint32_t elem_slot = 0;
    if (extra) {
        Operand elem = pop(ValType::i32);
        elem_slot = slot(elem);
    }
    for (uint32_t i = nparams; i-- > 0;)
        pop(ft.params[i]);
    const uint32_t args = slot_of(height());
    if (op == IOp::call)
        emit(IOp::call, {index, args});
    else
        emit(IOp::call_indirect, {index, table, elem_slot, args});
    forget_last();
    for (ValType t : ft.results)
        push_own(t);
}

void FunctionCompiler::op_local_set(uint32_t index, bool tee) {
    if (index >= local_count_) invalid("unknown local");
    const uint32_t local = index * 8;
    Operand v = pop(local_types_[index]);
    if (!live()) {
        if (tee) push_own(local_types_[index]);
        return;
    }
    materialise_aliases_of(local);
    Entry& e = v.entry;
    if (e.kind == EntryKind::own && last_valid() && last_.has_dst && last_.dst == slot_of(v.pos)) {
        // Retarget the producer: it writes the local directly. It stays the last instruction
        // (for add fusion); no peephole matches a local as a natural slot.
        set_operand(last_.start, 0, local);
        last_.dst = local;
        if (tee) {
            Entry alias;
            alias.type = local_types_[index];
            alias.kind = EntryKind::local;
            alias.local_slot = local;
            push_entry(alias);
        }
        return;
    }
    const uint32_t start = static_cast<uint32_t>(code_.size());
    if (e.kind == EntryKind::own)
        emit(IOp::copy, {local, slot_of(v.pos)});
    else
        emit_pending(local, e);
    forget_last();
    if (e.kind == EntryKind::local_add) {
        record_last(start, true, local);
        last_.op = IOp::i32_add_imm;
        last_.a = e.local_slot;
        last_.imm = static_cast<uint32_t>(e.value);
    }
    if (tee) {
        Entry back = e;
        back.type = local_types_[index];
        if (reads_local(back.kind)) {
            // The local now holds the value (and is not written again yet).
            back.kind = EntryKind::local;
            back.local_slot = local;
            back.value = 0;
        }
        push_entry(back);
    }
}

void FunctionCompiler::op_numeric(const NumericInfo& info) {
    if (info.arity == 1) {
        Operand a = pop(info.operand);
        if (live()) {
            const uint32_t sa = slot(a);
            const uint32_t dst = slot_of(a.pos);
            const uint32_t start = emit(info.op, {dst, sa});
            record_last(start, true, dst);
            if (info.op == IOp::i32_eqz || info.op == IOp::i64_eqz) {
                last_.compare = info.op == IOp::i32_eqz ? IOp::i32_eq : IOp::i64_eq;
                last_.compare_imm = true;
                last_.a = sa;
                last_.imm = 0;
            }
        }
        push_own(info.result);
        return;
    }
    Operand b = pop(info.operand);
    Operand a = pop(info.operand);
    if (live()) {
        IOp op = info.op;
        const uint32_t dst = slot_of(a.pos);
        const bool is64 = is_i64_op(op);
        const IOp imm = imm_variant(op);
        if (imm != IOp::count_ && a.entry.kind == EntryKind::constant &&
            b.entry.kind != EntryKind::constant && swapped_operands(op) != IOp::count_) {
            std::swap(a, b);
            op = swapped_operands(op);
        }
        if ((op == IOp::i32_or || op == IOp::i64_or) && try_shift_or(a, b, is64)) {
            push_own(info.result);
            return;
        }
        uint32_t start;
        const IOp imm_op = imm_variant(op);
        const bool use_imm = imm_op != IOp::count_ && b.entry.kind == EntryKind::constant;
        if (use_imm && (op == IOp::i32_add || op == IOp::i32_sub) && reads_local(a.entry.kind)) {
            // local + constant (or (local + c1) + c2): stays pending, nothing emitted yet.
            const uint32_t c = static_cast<uint32_t>(b.entry.value);
            Entry e;
            e.type = ValType::i32;
            e.kind = EntryKind::local_add;
            e.local_slot = a.entry.local_slot;
            const uint32_t base =
                a.entry.kind == EntryKind::local_add ? static_cast<uint32_t>(a.entry.value) : 0u;
            e.value = op == IOp::i32_add ? base + c : base - c;
            push_entry(e);
            return;
        }
        const bool f64_arith =
            op == IOp::f64_add || op == IOp::f64_sub || op == IOp::f64_mul || op == IOp::f64_div;
        if (f64_arith && last_valid() && last_.load_kind == 3 && last_.has_dst &&
            a.entry.kind != EntryKind::constant && b.entry.kind != EntryKind::constant) {
            // One operand is the f64.load just emitted: the load becomes a memory operand.
            const bool b_loaded = b.entry.kind == EntryKind::own && last_.dst == slot_of(b.pos);
            const bool a_loaded =
                !b_loaded && a.entry.kind == EntryKind::own && last_.dst == slot_of(a.pos);
            if (a_loaded || b_loaded) {
                const LastInstr ld = last_;
                code_.resize(ld.start);
                forget_last();
                Operand& other = b_loaded ? a : b;
                const uint32_t so = slot(other);
                IOp mop = IOp::count_;
                switch (op) {
                case IOp::f64_add: mop = IOp::f64_add_mem; break;
                case IOp::f64_mul: mop = IOp::f64_mul_mem; break;
                case IOp::f64_sub: mop = b_loaded ? IOp::f64_sub_mem : IOp::f64_mem_sub; break;
                default: mop = b_loaded ? IOp::f64_div_mem : IOp::f64_mem_div; break;
                }
                start = emit(mop, {dst, so, ld.a, ld.offset, static_cast<uint32_t>(ld.imm)});
                record_last(start, true, dst);
                push_own(info.result);
                return;
            }
        }
        if (f64_arith &&
            (a.entry.kind == EntryKind::constant) != (b.entry.kind == EntryKind::constant)) {
            // One constant operand: it becomes the instruction's immediate.
            const bool const_left = a.entry.kind == EntryKind::constant;
            Operand& x = const_left ? b : a;
            const uint64_t bits = const_left ? a.entry.value : b.entry.value;
            IOp fop = IOp::count_;
            switch (op) {
            case IOp::f64_add: fop = IOp::f64_add_imm; break;
            case IOp::f64_mul: fop = IOp::f64_mul_imm; break;
            case IOp::f64_sub: fop = const_left ? IOp::f64_imm_sub : IOp::f64_sub_imm; break;
            default: fop = const_left ? IOp::f64_imm_div : IOp::f64_div_imm; break;
            }
            const uint32_t sx = slot(x);
            start = emit(fop, {dst, sx}, true, bits);
            record_last(start, true, dst);
            push_own(info.result);
            return;
        }
        if (op == IOp::i32_rotl && use_imm && a.entry.kind == EntryKind::own && last_valid() &&
            last_.op == IOp::i32_xor && last_.has_dst && last_.dst == slot_of(a.pos)) {
            // rotl(x ^ y, k) with the xor just emitted: one instruction.
            const LastInstr x = last_;
            code_.resize(x.start);
            forget_last();
            start = emit(IOp::i32_xor_rotl_imm,
                         {dst, x.a, x.b, static_cast<uint32_t>(b.entry.value) & 31});
            record_last(start, true, dst);
            push_own(info.result);
            return;
        }
        const uint32_t sa = slot(a);
        uint32_t sb = 0;
        if (use_imm) {
            if (is64)
                start = emit(imm_op, {dst, sa}, true, b.entry.value);
            else
                start = emit(imm_op, {dst, sa, static_cast<uint32_t>(b.entry.value)});
        } else {
            sb = slot(b);
            start = emit(op, {dst, sa, sb});
        }
        record_last(start, true, dst);
        last_.op = use_imm ? imm_op : op;
        last_.a = sa;
        last_.b = sb;
        if (use_imm) last_.imm = b.entry.value;
        if (use_imm && (op == IOp::i32_add || op == IOp::i32_sub)) {
            last_.add_imm = true;
            last_.a = sa;
            const uint32_t c = static_cast<uint32_t>(b.entry.value);
            last_.imm = op == IOp::i32_add ? c : 0u - c;
        }
        if (inverse_compare(op) != IOp::count_) {
            last_.compare = op;
            last_.compare_imm = use_imm;
            last_.a = sa;
            last_.b = sb;
            last_.imm = b.entry.value;
        }
    }
    push_own(info.result);
}

bool FunctionCompiler::try_shift_or(const Operand& a, const Operand& b, bool is64) {
    // `or` of the results of the two instructions just emitted, a left shift and an unsigned
    // right shift by constants (in either order): one `shl_or_shr` computes all three.
    if (a.entry.kind != EntryKind::own || b.entry.kind != EntryKind::own || !last_valid() ||
        prev_.start == UINT32_MAX || prev_.end != last_.start || !prev_.has_dst ||
        prev_.dst != slot_of(a.pos) || !last_.has_dst || last_.dst != slot_of(b.pos))
        return false;
    const IOp shl = is64 ? IOp::i64_shl_imm : IOp::i32_shl_imm;
    const IOp shr = is64 ? IOp::i64_shr_u_imm : IOp::i32_shr_u_imm;
    const LastInstr* left = nullptr;
    const LastInstr* right = nullptr;
    if (prev_.op == shl && last_.op == shr) {
        left = &prev_;
        right = &last_;
    } else if (prev_.op == shr && last_.op == shl) {
        left = &last_;
        right = &prev_;
    } else {
        return false;
    }
    const uint32_t mask = is64 ? 63 : 31;
    const uint32_t src_l = left->a, k_l = static_cast<uint32_t>(left->imm) & mask;
    const uint32_t src_r = right->a, k_r = static_cast<uint32_t>(right->imm) & mask;
    const uint32_t dst = slot_of(a.pos);
    code_.resize(prev_.start);
    forget_last();
    const uint32_t start =
        emit(is64 ? IOp::i64_shl_or_shr : IOp::i32_shl_or_shr, {dst, src_l, k_l, src_r, k_r});
    prev_.start = UINT32_MAX;
    record_last(start, true, dst);
    last_.op = is64 ? IOp::i64_shl_or_shr : IOp::i32_shl_or_shr;
    last_.a = src_l;
    last_.b = src_r;
    last_.imm = k_l | (static_cast<uint64_t>(k_r) << 32);
    return true;
}

void FunctionCompiler::op_load(uint8_t opcode) {
    const uint32_t k = opcode - opcode::i32_load;
    const uint32_t align = reader_.u32();
    const uint32_t offset = reader_.u32();
    check_memory();
    if (align > memory_natural_align[k]) invalid("alignment must not be larger than natural");
    Operand addr = pop(ValType::i32);
    if (live()) {
        const uint32_t dst = slot_of(addr.pos);
        uint32_t start, base, imm = 0;
        if (addr.entry.kind == EntryKind::local_add) {
            base = addr.entry.local_slot;
            imm = static_cast<uint32_t>(addr.entry.value);
            start = emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load_ai) + k),
                         {dst, base, offset, imm});
        } else if (address_is_last_add(addr)) {
            const LastInstr add = last_;
            code_.resize(add.start);
            base = add.a;
            imm = static_cast<uint32_t>(add.imm);
            start = emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load_ai) + k),
                         {dst, base, offset, imm});
        } else {
            base = slot(addr);
            start = emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load) + k),
                         {dst, base, offset});
        }
        record_last(start, true, dst);
        last_.load_kind = static_cast<int>(k);
        last_.a = base;
        last_.imm = imm;
        last_.offset = offset;
    }
    push_own(memory_value_type[k]);
}

void FunctionCompiler::op_store(uint8_t opcode) {
    const uint32_t k = opcode - opcode::i32_load;
    const uint32_t align = reader_.u32();
    const uint32_t offset = reader_.u32();
    check_memory();
    if (align > memory_natural_align[k]) invalid("alignment must not be larger than natural");
    Operand value = pop(memory_value_type[k]);
    Operand addr = pop(ValType::i32);
    if (live()) {
        const int load = last_valid() ? last_.load_kind : -1;
        if (value.entry.kind == EntryKind::own && load >= 0 && last_.dst == slot_of(value.pos) &&
            memory_natural_align[static_cast<uint32_t>(load)] == memory_natural_align[k]) {
            // Stores exactly what the load just emitted read (same width): one move from
            // memory to memory. The loaded value's slot is dead once the store consumed it.
            const LastInstr ld = last_;
            code_.resize(ld.start);
            forget_last();
            uint32_t base = 0, imm = 0;
            if (addr.entry.kind == EntryKind::local_add) {
                base = addr.entry.local_slot;
                imm = static_cast<uint32_t>(addr.entry.value);
            } else {
                base = slot(addr); // a constant is materialised in its own slot, below
            }
            static constexpr IOp moves[] = {IOp::move8, IOp::move16, IOp::move32, IOp::move64};
            emit(moves[memory_natural_align[k]],
                 {ld.a, ld.offset, static_cast<uint32_t>(ld.imm), base, offset, imm});
        } else if (value.entry.kind == EntryKind::own && last_valid() &&
                   last_.dst == slot_of(value.pos) &&
                   ((last_.op == IOp::i32_shl_or_shr && k == 14) ||
                    (last_.op == IOp::i64_shl_or_shr && k == 15))) {
            // Stores the `shl_or_shr` just emitted (full width): one instruction.
            const LastInstr f = last_;
            code_.resize(f.start);
            forget_last();
            uint32_t base = 0, imm = 0;
            if (addr.entry.kind == EntryKind::local_add) {
                base = addr.entry.local_slot;
                imm = static_cast<uint32_t>(addr.entry.value);
            } else {
                base = slot(addr);
            }
            emit(k == 14 ? IOp::i32_store_shl_or_shr : IOp::i64_store_shl_or_shr,
                 {base, offset, imm, f.a, static_cast<uint32_t>(f.imm), f.b,
                  static_cast<uint32_t>(f.imm >> 32)});
        } else if (value.entry.kind == EntryKind::constant &&
                   (memory_natural_align[k] < 3 || value.entry.value <= UINT32_MAX)) {
            // A constant stored: the value is an operand (only the stored width matters).
            uint32_t base = 0, imm = 0;
            if (addr.entry.kind == EntryKind::local_add) {
                base = addr.entry.local_slot;
                imm = static_cast<uint32_t>(addr.entry.value);
            } else if (address_is_last_add(addr)) {
                const LastInstr add = last_;
                code_.resize(add.start);
                forget_last();
                base = add.a;
                imm = static_cast<uint32_t>(add.imm);
            } else {
                base = slot(addr);
            }
            static constexpr IOp stores[] = {IOp::store8_const, IOp::store16_const,
                                             IOp::store32_const, IOp::store64_const};
            emit(stores[memory_natural_align[k]],
                 {base, offset, imm, static_cast<uint32_t>(value.entry.value)});
        } else if (addr.entry.kind == EntryKind::local_add) {
            const uint32_t sv = slot(value);
            emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load_ai) + k),
                 {addr.entry.local_slot, sv, offset, static_cast<uint32_t>(addr.entry.value)});
        } else if (value.entry.kind != EntryKind::own && address_is_last_add(addr)) {
            // The value is pending (nothing emitted for it) when the address add is the last
            // instruction; materialising a constant value writes above the address slot.
            const LastInstr add = last_;
            code_.resize(add.start);
            forget_last();
            const uint32_t sv = slot(value);
            // The _ai kinds follow the plain ones' order: stores come after the 14 loads.
            emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load_ai) + k),
                 {add.a, sv, offset, static_cast<uint32_t>(add.imm)});
        } else {
            const uint32_t sv = slot(value);
            const uint32_t sa = slot(addr);
            emit(static_cast<IOp>(static_cast<uint32_t>(IOp::i32_load) + k), {sa, sv, offset});
        }
        forget_last();
    }
}

void FunctionCompiler::op_select(ValType typed) {
    Operand cond = pop(ValType::i32);
    Operand b = pop(typed);
    Operand a = pop(typed);
    ValType t = typed;
    if (typed == unknown_type) {
        const ValType ta = a.entry.type, tb = b.entry.type;
        if ((ta != unknown_type && !is_numeric(ta)) || (tb != unknown_type && !is_numeric(tb)))
            invalid("type mismatch");
        if (ta != unknown_type && tb != unknown_type && ta != tb) invalid("type mismatch");
        t = ta != unknown_type ? ta : tb;
    }
    if (live()) {
        const uint32_t sa = slot(a);
        const uint32_t sb = slot(b);
        const uint32_t sc = slot(cond);
        const uint32_t dst = slot_of(a.pos);
        const uint32_t start = emit(IOp::select, {dst, sa, sb, sc});
        record_last(start, true, dst);
    }
    push_own(t);
}

ValType FunctionCompiler::read_ref_type() {
    const uint8_t b = reader_.u8();
    if (b != 0x70 && b != 0x6f) reader_.fail("malformed reference type");
    return static_cast<ValType>(b);
}

void FunctionCompiler::op_prefixed() {
    const uint32_t sub = reader_.u32();
    if (sub <= opcode::fc_trunc_sat_last) {
        op_numeric(trunc_sat_table[sub]);
        return;
    }
    auto pop3 = [&](ValType t0, ValType t1, ValType t2, uint32_t(&s)[3]) {
        Operand c = pop(t2), b = pop(t1), a = pop(t0);
        if (live()) {
            s[0] = slot(a);
            s[1] = slot(b);
            s[2] = slot(c);
        }
    };
    uint32_t s[3] = {0, 0, 0};
    switch (sub) {
    case opcode::fc_memory_init: {
        const uint32_t seg = reader_.u32();
        read_zero_byte();
        check_memory();
        if (!module_.data_count) reader_.fail("data count section required");
        if (seg >= *module_.data_count) invalid("unknown data segment");
        pop3(ValType::i32, ValType::i32, ValType::i32, s);
        emit(IOp::memory_init, {seg, s[0], s[1], s[2]});
        break;
    }
    case opcode::fc_data_drop: {
        const uint32_t seg = reader_.u32();
        if (!module_.data_count) reader_.fail("data count section required");
        if (seg >= *module_.data_count) invalid("unknown data segment");
        emit(IOp::data_drop, {seg});
        break;
    }
    case opcode::fc_memory_copy:
        read_zero_byte();
        read_zero_byte();
        check_memory();
        pop3(ValType::i32, ValType::i32, ValType::i32, s);
        emit(IOp::memory_copy, {s[0], s[1], s[2]});
        break;
    case opcode::fc_memory_fill:
        read_zero_byte();
        check_memory();
        pop3(ValType::i32, ValType::i32, ValType::i32, s);
        emit(IOp::memory_fill, {s[0], s[1], s[2]});
        break;
    case opcode::fc_table_init: {
        const uint32_t seg = reader_.u32();
        const uint32_t table = reader_.u32();
        check_table(table);
        if (seg >= module_.elements.size()) invalid("unknown elem segment");
        if (module_.elements[seg].type != module_.table_type(table).element)
            invalid("type mismatch");
        pop3(ValType::i32, ValType::i32, ValType::i32, s);
        emit(IOp::table_init, {table, seg, s[0], s[1], s[2]});
        break;
    }
    case opcode::fc_elem_drop: {
        const uint32_t seg = reader_.u32();
        if (seg >= module_.elements.size()) invalid("unknown elem segment");
        emit(IOp::elem_drop, {seg});
        break;
    }
    case opcode::fc_table_copy: {
        const uint32_t dst = reader_.u32();
        const uint32_t src = reader_.u32();
        check_table(dst);
        check_table(src);
        if (module_.table_type(dst).element != module_.table_type(src).element)
            invalid("type mismatch");
        pop3(ValType::i32, ValType::i32, ValType::i32, s);
        emit(IOp::table_copy, {dst, src, s[0], s[1], s[2]});
        break;
    }
    case opcode::fc_table_grow: {
        const uint32_t table = reader_.u32();
        check_table(table);
        const ValType et = module_.table_type(table).element;
        Operand n = pop(ValType::i32);
        Operand init = pop(et);
        if (live()) {
            const uint32_t sn = slot(n);
            const uint32_t si = slot(init);
            emit(IOp::table_grow, {slot_of(init.pos), table, si, sn});
        }
        forget_last();
        push_own(ValType::i32);
        break;
    }
    case opcode::fc_table_size: {
        const uint32_t table = reader_.u32();
        check_table(table);
        emit(IOp::table_size, {slot_of(height()), table});
        forget_last();
        push_own(ValType::i32);
        break;
    }
    case opcode::fc_table_fill: {
        const uint32_t table = reader_.u32();
        check_table(table);
        pop3(ValType::i32, module_.table_type(table).element, ValType::i32, s);
        emit(IOp::table_fill, {table, s[0], s[1], s[2]});
        break;
    }
    default: reader_.fail("illegal opcode");
    }
    forget_last();
}

std::unique_ptr<CompiledFunction> FunctionCompiler::compile() {
    // Locals: params then declared groups.
    local_types_ = type_.params;
    for (const LocalGroup& g : code_info_.locals)
        local_types_.insert(local_types_.end(), g.count, g.type);
    local_count_ = static_cast<uint32_t>(local_types_.size());
    alias_head_.assign(local_count_, -1);
    code_limit_ = code_words_per_body_byte * code_info_.body.size + 1024;
    work_limit_ = signature_checks_per_body_byte * code_info_.body.size + (1u << 20);

    Ctrl fn;
    fn.results = type_.results.data();
    fn.result_count = static_cast<uint32_t>(type_.results.size());
    push_ctrl(CtrlKind::function, fn);

    while (!ctrls_.empty()) {
        note_op_start(); // before the instruction pops its operands
        const uint8_t opc = reader_.u8();
        switch (opc) {
        case opcode::unreachable:
            emit(IOp::unreachable, {});
            set_unreachable();
            break;
        case opcode::nop: break;
        case opcode::block: op_block(CtrlKind::block); break;
        case opcode::loop: op_block(CtrlKind::loop); break;
        case opcode::if_: op_if(); break;
        case opcode::else_: op_else(); break;
        case opcode::end: op_end(); break;
        case opcode::br: op_br(reader_.u32()); break;
        case opcode::br_if: op_br_if(reader_.u32()); break;
        case opcode::br_table: op_br_table(); break;
        case opcode::return_: {
            Ctrl& f = ctrls_.front();
            std::vector<Operand> vals = pop_label_values(f);
            if (live()) emit_return(vals, true);
            set_unreachable();
            break;
        }
        case opcode::call: {
            const uint32_t f = reader_.u32();
            if (f >= module_.function_count()) invalid("unknown function");
            op_call(module_.function_type(f), IOp::call, f, 0);
            break;
        }
        case opcode::call_indirect: {
            const uint32_t type_index = reader_.u32();
            const uint32_t table = reader_.u32();
            check_table(table);
            if (type_index >= module_.types.size()) invalid("unknown type");
            if (module_.table_type(table).element != ValType::funcref) invalid("type mismatch");
            op_call(module_.types[type_index], IOp::call_indirect, type_index, table);
            break;
        }
        case opcode::drop: pop_any(); break;
        case opcode::select: op_select(unknown_type); break;
        case opcode::select_typed: {
            const uint32_t n = reader_.u32();
            if (n != 1) invalid("invalid result arity");
            const uint8_t b = reader_.u8();
            switch (b) {
            case 0x7f:
            case 0x7e:
            case 0x7d:
            case 0x7c:
            case 0x70:
            case 0x6f: break;
            case 0x7b: throw UnsupportedError("SIMD is not supported yet");
            default: reader_.fail("malformed value type");
            }
            op_select(static_cast<ValType>(b));
            break;
        }
        case opcode::local_get: {
            const uint32_t index = reader_.u32();
            if (index >= local_count_) invalid("unknown local");
            Entry e;
            e.type = local_types_[index];
            e.kind = EntryKind::local;
            e.local_slot = index * 8;
            push_entry(e);
            break;
        }
        case opcode::local_set: op_local_set(reader_.u32(), false); break;
        case opcode::local_tee: op_local_set(reader_.u32(), true); break;
        case opcode::global_get: {
            const uint32_t g = reader_.u32();
            if (g >= module_.global_count()) invalid("unknown global");
            const uint32_t dst = slot_of(height());
            const uint32_t start = emit(IOp::global_get, {dst, g});
            record_last(start, true, dst);
            push_own(module_.global_type(g).type);
            break;
        }
        case opcode::global_set: {
            const uint32_t g = reader_.u32();
            if (g >= module_.global_count()) invalid("unknown global");
            const GlobalType gt = module_.global_type(g);
            if (!gt.is_mutable) invalid("global is immutable");
            Operand v = pop(gt.type);
            if (live()) emit(IOp::global_set, {g, slot(v)});
            forget_last();
            break;
        }
        case opcode::table_get: {
            const uint32_t t = reader_.u32();
            check_table(t);
            Operand i = pop(ValType::i32);
            if (live()) emit(IOp::table_get, {slot_of(i.pos), t, slot(i)});
            forget_last();
            push_own(module_.table_type(t).element);
            break;
        }
        case opcode::table_set: {
            const uint32_t t = reader_.u32();
            check_table(t);
            Operand v = pop(module_.table_type(t).element);
            Operand i = pop(ValType::i32);
            if (live()) {
                const uint32_t sv = slot(v);
                emit(IOp::table_set, {t, slot(i), sv});
            }
            forget_last();
            break;
        }
        case opcode::memory_size: {
            read_zero_byte();
            check_memory();
            emit(IOp::memory_size, {slot_of(height())});
            forget_last();
            push_own(ValType::i32);
            break;
        }
        case opcode::memory_grow: {
            read_zero_byte();
            check_memory();
            Operand d = pop(ValType::i32);
            if (live()) {
                const uint32_t sd = slot(d);
                emit(IOp::memory_grow, {slot_of(d.pos), sd});
            }
            forget_last();
            push_own(ValType::i32);
            break;
        }
        case opcode::i32_const:
            push_const(ValType::i32, static_cast<uint32_t>(reader_.s32()));
            break;
        case opcode::i64_const:
            push_const(ValType::i64, static_cast<uint64_t>(reader_.s64()));
            break;
        case opcode::f32_const: push_const(ValType::f32, reader_.f32_bits()); break;
        case opcode::f64_const: push_const(ValType::f64, reader_.f64_bits()); break;
        case opcode::ref_null: push_const(read_ref_type(), 0); break;
        case opcode::ref_is_null: {
            Operand r = pop_any();
            if (r.entry.type != unknown_type && !is_reference(r.entry.type))
                invalid("type mismatch");
            if (live()) emit(IOp::ref_is_null, {slot_of(r.pos), slot(r)});
            forget_last();
            push_own(ValType::i32);
            break;
        }
        case opcode::ref_func: {
            const uint32_t f = reader_.u32();
            if (f >= module_.function_count()) invalid("unknown function");
            if (f >= declared_refs_.size() || !declared_refs_[f])
                invalid("undeclared function reference");
            emit(IOp::ref_func, {slot_of(height()), f});
            forget_last();
            push_own(ValType::funcref);
            break;
        }
        case 0xbc:
        case 0xbd:
        case 0xbe:
        case 0xbf: { // reinterpretations: retype only
            static constexpr ValType from[] = {ValType::f32, ValType::f64, ValType::i32,
                                               ValType::i64};
            static constexpr ValType to[] = {ValType::i32, ValType::i64, ValType::f32,
                                             ValType::f64};
            Operand v = pop(from[opc - 0xbc]);
            Entry e = v.entry;
            e.type = to[opc - 0xbc];
            push_entry(e);
            forget_last();
            break;
        }
        case opcode::prefix_fc: op_prefixed(); break;
        case opcode::prefix_simd: throw UnsupportedError("SIMD is not supported yet");
        default:
            if (opc >= opcode::i32_load && opc <= opcode::i64_store32) {
                if (opc < 0x36)
                    op_load(opc);
                else
                    op_store(opc);
            } else if (numeric_table[opc].op != IOp::count_) {
                op_numeric(numeric_table[opc]);
            } else {
                reader_.fail("illegal opcode");
            }
        }
    }
    if (!reader_.at_end()) reader_.fail("section size mismatch");

    if (dump_enabled()) dump_code(defined_index_, code_, dump_starts_);
    auto out = std::make_unique<CompiledFunction>();
    op_start_height_ = op_start_own_height_ = 0; // nothing is live after the last instruction
    note_emission(static_cast<uint32_t>(code_.size()));
    live_heights_.resize(code_.size() + 1);
    live_heights_.shrink_to_fit();
    out->live_heights = std::move(live_heights_);
    out->code = std::move(code_);
    out->code.shrink_to_fit();
    out->param_slots = static_cast<uint32_t>(type_.params.size());
    out->local_slots = local_count_ - out->param_slots;
    out->result_count = static_cast<uint32_t>(type_.results.size());
    out->frame_slots = std::max(local_count_ + max_height_, out->result_count);
    return out;
}

} // namespace

void compile_functions(Module& module, const std::vector<bool>& declared_refs) {
    module.compiled.clear();
    module.compiled.reserve(module.functions.size());
    for (uint32_t i = 0; i < module.functions.size(); ++i) {
        FunctionCompiler compiler(module, declared_refs, i);
        module.compiled.push_back(compiler.compile());
    }
}

} // namespace wbpf::wasm
