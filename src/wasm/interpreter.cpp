// The interpreter: a direct-threaded loop over the register-style internal code of code.hpp.
//
// HOT LOOP, WRITTEN FOR SPEED ON PURPOSE (see docs/ENGINE.md):
//   - every handler ends in `goto *pc[0]` (GCC/Clang computed goto), so each instruction has
//     its own indirect branch and no switch bounds check;
//   - operands are byte offsets from fp, read with memcpy (a single load, no aliasing UB);
//   - the instance context (functions, globals, memory 0 base and size) lives in locals,
//     reloaded only when a call crosses instances, after returns (memory may have grown) and
//     after memory.grow;
//   - calls push a CallFrame into a preallocated array: no allocation, no native recursion.
// Traps jump to one exit path that records the backtrace and unwinds to this activation.
//
// GUARD-PAGE BOUNDS CHECKS (WBPF_GUARD_PAGES, x86-64 Linux, not under sanitizers): plain
// loads and stores (and their fused forms) do not compare the address with the memory size.
// Every i32 address + u32 offset + access width lands inside MemoryInstance::reservation,
// which is PROT_NONE beyond the memory's size, so an out-of-bounds access faults. A
// SIGSEGV/SIGBUS handler (installed once) recognises a fault inside the current instance's
// reservation while this thread runs guest code (thread-local GuardFrame, cleared around host
// calls) and siglongjmps to run_guarded(), which reports TrapKind::out_of_bounds_memory with
// the backtrace that run() publishes in the GuardFrame at every call and return. Any other
// fault goes to the previous handler, or kills the process with the default action. x86-64
// only: there a faulting store writes nothing, also when it straddles the end of memory.
// memory.fill/copy/init keep explicit checks. -DWBPF_EXPLICIT_BOUNDS_CHECKS forces the
// comparisons everywhere (CMake: WBPF_GUARD_PAGES=OFF, and always with WBPF_SANITIZE).
#include "interpreter.hpp"

#include "code.hpp"
#include "jit.hpp"
#include "numeric.hpp"

#include <sys/mman.h>

#include <csetjmp>
#include <csignal>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <type_traits>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||                         \
    __has_feature(thread_sanitizer)
#define WBPF_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WBPF_UNDER_SANITIZER 1
#endif
#if !defined(WBPF_EXPLICIT_BOUNDS_CHECKS) && !defined(WBPF_UNDER_SANITIZER) &&                     \
    defined(__x86_64__) && defined(__linux__)
#define WBPF_GUARD_PAGES 1
#else
#define WBPF_GUARD_PAGES 0
#endif

// Threaded code stores handler addresses and guest-memory offsets as integers and turns them
// back into pointers on every dispatch and access: that is the design, not an accident.
// NOLINTBEGIN(performance-no-int-to-ptr)
namespace wbpf::wasm {

// ---- ExecutionStack ----

ExecutionStack::ExecutionStack(const StoreOptions& options) {
    const size_t page = 4096;
    slots_bytes_ =
        (static_cast<size_t>(options.value_stack_slots) * sizeof(Value) + page - 1) / page * page;
    frames_bytes_ =
        ((static_cast<size_t>(options.max_call_depth) + 1) * sizeof(CallFrame) + page - 1) / page *
        page;
    void* slots = mmap(nullptr, slots_bytes_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED) throw std::bad_alloc();
    void* frames = mmap(nullptr, frames_bytes_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (frames == MAP_FAILED) {
        munmap(slots, slots_bytes_);
        throw std::bad_alloc();
    }
    slots_begin = static_cast<Value*>(slots);
    slots_end = slots_begin + options.value_stack_slots;
    top_used = slots_begin;
    frames_begin = static_cast<CallFrame*>(frames);
    frames_end = frames_begin + options.max_call_depth;
    frame_top = frames_begin;
    max_nesting = options.max_host_nesting;
}

ExecutionStack::~ExecutionStack() {
    munmap(slots_begin, slots_bytes_);
    munmap(frames_begin, frames_bytes_);
}

std::unique_ptr<ExecutionStack> make_execution_stack(const StoreOptions& options) {
    return std::make_unique<ExecutionStack>(options);
}

namespace {

template <typename T>
inline T rd(const uint8_t* fp, uint32_t off) noexcept {
    T v;
    std::memcpy(&v, fp + off, sizeof(T));
    return v;
}

template <typename T>
inline void wr(uint8_t* fp, uint32_t off, T v) noexcept {
    std::memcpy(fp + off, &v, sizeof(T));
}

/// Operand k (u32) of the instruction at pc.
template <unsigned k>
inline uint32_t operand(const uint64_t* pc) noexcept {
    uint32_t v;
    std::memcpy(&v, reinterpret_cast<const uint8_t*>(pc + 1) + 4 * k, 4);
    return v;
}

inline uint32_t operand_at(const uint64_t* pc, uint32_t k) noexcept {
    uint32_t v;
    std::memcpy(&v, reinterpret_cast<const uint8_t*>(pc + 1) + 4 * k, 4);
    return v;
}

/// The one linear-memory bounds check (a later version replaces it with guard pages).
inline bool in_bounds(uint64_t ea, uint64_t n, uint64_t size) noexcept {
    return ea + n <= size;
}

constexpr uint64_t no_memory_size = 0;

/// What the fault handler needs to turn a guard-page fault into a trap of one run():
/// where to jump, the memory the faulting access may hit, and the published call chain.
struct GuardFrame {
    sigjmp_buf env;
    uint8_t* mem_base = nullptr;     ///< memory 0 of the running instance (nullptr: none)
    FunctionInstance* cur = nullptr; ///< the running function
    CallFrame* frame_top = nullptr;  ///< its callers: [frame_base, frame_top)
    CallFrame* frame_base = nullptr;
    /// While native code runs: its state, whose cur and frame_top it keeps current (native
    /// code does not publish them here, to keep calls short); nullptr otherwise.
    const NativeState* native = nullptr;
};

/// Records `trap` and the call chain (innermost first) in `result`.
void record_trap(ExecResult* result, TrapKind trap, FunctionInstance* host_trap_function,
                 FunctionInstance* cur, CallFrame* frame_top, CallFrame* frame_base) {
    if (!result) return;
    result->trap = trap;
    result->backtrace.clear();
    result->omitted_frames = 0;
    if (host_trap_function)
        result->backtrace.push_back(TrapFrame{nullptr, host_trap_function->index});
    result->backtrace.push_back(TrapFrame{cur->instance, cur->index});
    for (CallFrame* f = frame_top; f != frame_base;) {
        --f;
        if (result->backtrace.size() == ExecResult::max_backtrace_frames) {
            result->omitted_frames = static_cast<uint32_t>(f - frame_base) + 1;
            break;
        }
        result->backtrace.push_back(TrapFrame{f->function->instance, f->function->index});
    }
}

#if WBPF_GUARD_PAGES
/// The innermost run() of this thread while it executes guest code; nullptr otherwise
/// (outside the interpreter and during host calls).
constinit thread_local GuardFrame* tls_guard [[gnu::tls_model("initial-exec")]] = nullptr;

struct sigaction previous_segv_action;
struct sigaction previous_bus_action;

void on_memory_fault(int sig, siginfo_t* info, void* context) {
    GuardFrame* const guard = tls_guard;
    if (guard && guard->mem_base && info->si_code > 0) {
        const uintptr_t offset = reinterpret_cast<uintptr_t>(info->si_addr) -
                                 reinterpret_cast<uintptr_t>(guard->mem_base);
        // SA_NODEFER: the signal is not blocked in here, so no mask needs restoring.
        if (offset < MemoryInstance::reservation) siglongjmp(guard->env, 1);
    }
    // Not ours: the previous handler, or the default action (re-executing the faulting
    // instruction faults again with SIG_DFL in place; a sent signal is sent again).
    const struct sigaction& previous = sig == SIGSEGV ? previous_segv_action : previous_bus_action;
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) return previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        return previous.sa_handler(sig);
    }
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(sig, &default_action, nullptr);
    if (info->si_code <= 0) raise(sig);
}

bool install_memory_fault_handler() {
    struct sigaction action {};
    action.sa_sigaction = on_memory_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv_action);
    sigaction(SIGBUS, &action, &previous_bus_action);
    return true;
}
#endif

using S32 = int32_t;
using S64 = int64_t;

/// The instance ran its countdown of calls and loop iterations: its module gets native code
/// now if it waits for that (JitMode::when_hot). The caller's next dispatch reads the patched
/// code, so native code takes over at once.
[[gnu::noinline, gnu::cold]] void become_hot(Instance* inst) {
    inst->native_countdown = UINT32_MAX;
    if (inst->module->native_when_hot) jit_translate_when_hot(const_cast<Module&>(*inst->module));
}

// UBSan's -fsanitize=function (clang) checks an indirect call by reading a type signature just
// before the callee; native code (jit_enter's trampoline) has none, so run() is exempt.
#if defined(__clang__)
#define WBPF_NO_FUNCTION_SANITIZER [[clang::no_sanitize("function")]]
#else
#define WBPF_NO_FUNCTION_SANITIZER
#endif

/// The interpreter loop. With function == nullptr it only reports its handler table.
/// With guard pages, `guard` is this activation's GuardFrame (tls_guard points to it).
WBPF_NO_FUNCTION_SANITIZER [[gnu::noinline]] TrapKind run(Store* store, FunctionInstance* function,
                                                          uint8_t* fp, ExecResult* result,
                                                          const void* const** table_out,
                                                          [[maybe_unused]] GuardFrame* guard) {
#define WBPF_L_NUM(name, ...) &&L_##name,
#define WBPF_L_NAME(name) &&L_##name,
#define WBPF_L_IMM(name) &&L_##name##_imm,
#define WBPF_L_BR(name) &&L_br_##name, &&L_br_##name##_imm,
#define WBPF_L_ADD_BR(name) &&L_add_br_##name, &&L_add_br_##name##_imm,
    static const void* const handlers[] = {
        WBPF_NUMERIC_OPS(WBPF_L_NUM) WBPF_TRUNC_SAT_OPS(WBPF_L_NUM) WBPF_IMM_OPS(WBPF_L_IMM)
            WBPF_CMP_OPS(WBPF_L_BR) WBPF_CMP32_OPS(WBPF_L_ADD_BR) WBPF_OTHER_OPS(WBPF_L_NAME)};
#undef WBPF_L_NUM
#undef WBPF_L_NAME
#undef WBPF_L_IMM
#undef WBPF_L_BR
#undef WBPF_L_ADD_BR
    static_assert(sizeof(handlers) / sizeof(handlers[0]) == static_cast<size_t>(IOp::count_));
    if (function == nullptr) {
        *table_out = handlers;
        return TrapKind::none;
    }

    ExecutionStack& st = store->stack();
    const std::atomic<uint32_t>& interrupt = store->interrupt_flag();
    uint8_t* const stack_end = reinterpret_cast<uint8_t*>(st.slots_end);
    CallFrame* const frame_base = st.frame_top;
    CallFrame* const frames_end = st.frames_end;
    CallFrame* frame_top = frame_base;

    FunctionInstance* cur = function;
    Instance* inst = nullptr;
    FunctionInstance* const* funcs = nullptr;
    GlobalInstance* const* globals = nullptr;
    uint8_t* mem_base = nullptr;
    const uint64_t* mem_size_ptr = &no_memory_size;
#if !WBPF_GUARD_PAGES
    uint64_t mem_size = 0;
#endif
    const uint64_t* pc = nullptr;
    TrapKind trap = TrapKind::none;
    FunctionInstance* callee = nullptr;
    uint8_t* new_fp = nullptr;
    FunctionInstance* host_trap_function = nullptr;
    // What native code reads and updates (jit.hpp). Context fields follow LOAD_CONTEXT; fp,
    // cur and frame_top are handed over at each entry and taken back at each exit.
    NativeState native;
    uint32_t* native_countdown = nullptr; // the running instance's (Instance::native_countdown)
    native.frame_base = frame_base;
    native.frames_end = frames_end;
    native.stack_end = stack_end;
    native.interrupt = &interrupt;

#define LOAD_CONTEXT()                                                                             \
    do {                                                                                           \
        inst = cur->instance;                                                                      \
        funcs = inst->functions.data();                                                            \
        globals = inst->globals.data();                                                            \
        if (!inst->memories.empty()) {                                                             \
            mem_base = inst->memories[0]->data;                                                    \
            mem_size_ptr = &inst->memories[0]->size;                                               \
        } else {                                                                                   \
            mem_base = nullptr;                                                                    \
            mem_size_ptr = &no_memory_size;                                                        \
        }                                                                                          \
        REFRESH_MEM_SIZE();                                                                        \
        PUBLISH_MEMORY();                                                                          \
        native.instance = inst;                                                                    \
        native.funcs = funcs;                                                                      \
        native.globals = globals;                                                                  \
        native.tables = inst->tables.data();                                                       \
        native.type_ids = inst->type_ids.data();                                                   \
        native.mem_base = mem_base;                                                                \
        native.mem_size = mem_size_ptr;                                                            \
        native_countdown = &inst->native_countdown;                                                \
    } while (0)
#if WBPF_GUARD_PAGES
// The memory size is read where needed (memory.size and the bulk operations), never cached.
#define REFRESH_MEM_SIZE() ((void)0)
#define MEM_SIZE (*mem_size_ptr)
#define PUBLISH_MEMORY() (guard->mem_base = mem_base)
// The call chain the fault handler reports, kept current at every call and return.
#define PUBLISH_CHAIN() (guard->cur = cur, guard->frame_top = frame_top)
#define NATIVE_RUNNING(state) (guard->native = (state))
#define CHECK_BOUNDS(ea, n) ((void)0)
#else
#define REFRESH_MEM_SIZE() (mem_size = *mem_size_ptr)
#define MEM_SIZE mem_size
#define PUBLISH_MEMORY() ((void)0)
#define PUBLISH_CHAIN() ((void)0)
#define NATIVE_RUNNING(state) ((void)0)
#define CHECK_BOUNDS(ea, n)                                                                        \
    do {                                                                                           \
        if (!in_bounds(ea, n, mem_size)) [[unlikely]]                                              \
            TRAP(TrapKind::out_of_bounds_memory);                                                  \
    } while (0)
#endif
#define NEXT() goto* reinterpret_cast<const void*>(pc[0])
// A taken branch. Offsets <= 0 are exactly the back-edges (branches to a loop label): the
// interrupt check lives there rather than in an instruction of its own at the loop start.
#define JUMP(offset)                                                                               \
    do {                                                                                           \
        const int32_t jump_ = (offset);                                                            \
        if (jump_ <= 0) {                                                                          \
            if (interrupt.load(std::memory_order_relaxed)) [[unlikely]]                            \
                TRAP(TrapKind::interrupted);                                                       \
            if (--*native_countdown == 0) [[unlikely]]                                             \
                become_hot(inst);                                                                  \
        }                                                                                          \
        pc += jump_;                                                                               \
        NEXT();                                                                                    \
    } while (0)
#define TRAP(kind)                                                                                 \
    do {                                                                                           \
        trap = (kind);                                                                             \
        goto trap_exit;                                                                            \
    } while (0)
#define O0 operand<0>(pc)
#define O1 operand<1>(pc)
#define O2 operand<2>(pc)
#define O3 operand<3>(pc)
#define O4 operand<4>(pc)
#define O5 operand<5>(pc)
#define O6 operand<6>(pc)

    LOAD_CONTEXT();
    PUBLISH_CHAIN();
    {
        const CompiledFunction* cf = cur->code;
        if (static_cast<size_t>(stack_end - fp) < static_cast<size_t>(cf->frame_slots) * 8)
            TRAP(TrapKind::call_stack_exhausted);
        if (interrupt.load(std::memory_order_relaxed)) [[unlikely]]
            TRAP(TrapKind::interrupted);
        std::memset(fp + cf->param_slots * 8, 0, static_cast<size_t>(cf->local_slots) * 8);
        pc = cf->code.data();
    }
    NEXT();

    // ---------------- Numeric ----------------

#define UNOP(name, T, R, expr)                                                                     \
    L_##name : {                                                                                   \
        const T a = rd<T>(fp, O1);                                                                 \
        wr<R>(fp, O0, static_cast<R>(expr));                                                       \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }
#define BINOP(name, T, R, expr)                                                                    \
    L_##name : {                                                                                   \
        const T a = rd<T>(fp, O1);                                                                 \
        const T b = rd<T>(fp, O2);                                                                 \
        wr<R>(fp, O0, static_cast<R>(expr));                                                       \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
#define IMM32(name, R, expr)                                                                       \
    L_##name##_imm : {                                                                             \
        const uint32_t a = rd<uint32_t>(fp, O1);                                                   \
        const uint32_t b = O2;                                                                     \
        wr<R>(fp, O0, static_cast<R>(expr));                                                       \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
#define IMM64(name, R, expr)                                                                       \
    L_##name##_imm : {                                                                             \
        const uint64_t a = rd<uint64_t>(fp, O1);                                                   \
        const uint64_t b = pc[2];                                                                  \
        wr<R>(fp, O0, static_cast<R>(expr));                                                       \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
// Integer binary ops available in all three forms: (name, expr over a and b of type T).
#define INT_OPS(X, T, S)                                                                           \
    X(add, a + b)                                                                                  \
    X(sub, a - b)                                                                                  \
    X(mul, (a * b))                                                                                \
    X(and, (a & b))                                                                                \
    X(or, a | b)                                                                                   \
    X(xor, a ^ b)                                                                                  \
    X(shl, numeric::shl<T>(a, b))                                                                  \
    X(shr_s, numeric::shr_s<T>(a, b))                                                              \
    X(shr_u, numeric::shr_u<T>(a, b))
#define CMP_OPS(X, T, S)                                                                           \
    X(eq, a == b)                                                                                  \
    X(ne, a != b)                                                                                  \
    X(lt_s, static_cast<S>(a) < static_cast<S>(b))                                                 \
    X(lt_u, a < b)                                                                                 \
    X(gt_s, static_cast<S>(a) > static_cast<S>(b))                                                 \
    X(gt_u, a > b)                                                                                 \
    X(le_s, static_cast<S>(a) <= static_cast<S>(b))                                                \
    X(le_u, a <= b)                                                                                \
    X(ge_s, static_cast<S>(a) >= static_cast<S>(b))                                                \
    X(ge_u, a >= b)

#define I32_BIN(op, expr) BINOP(i32_##op, uint32_t, uint32_t, expr) IMM32(i32_##op, uint32_t, expr)
#define I64_BIN(op, expr) BINOP(i64_##op, uint64_t, uint64_t, expr) IMM64(i64_##op, uint64_t, expr)
#define I32_CMP(op, expr) BINOP(i32_##op, uint32_t, uint32_t, expr) IMM32(i32_##op, uint32_t, expr)
#define I64_CMP(op, expr) BINOP(i64_##op, uint64_t, uint32_t, expr) IMM64(i64_##op, uint32_t, expr)
    INT_OPS(I32_BIN, uint32_t, S32)
    INT_OPS(I64_BIN, uint64_t, S64)
    CMP_OPS(I32_CMP, uint32_t, S32)
    CMP_OPS(I64_CMP, uint64_t, S64)

    // Compare-and-branch: [a, b, target] / [a, imm32, target] / [a, target] + imm64.
#define BR32(op, expr)                                                                             \
    L_br_i32_##op : {                                                                              \
        const uint32_t a = rd<uint32_t>(fp, O0);                                                   \
        const uint32_t b = rd<uint32_t>(fp, O1);                                                   \
        if (expr) JUMP(static_cast<int32_t>(O2));                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_br_i32_##op##_imm : {                                                                        \
        const uint32_t a = rd<uint32_t>(fp, O0);                                                   \
        const uint32_t b = O1;                                                                     \
        if (expr) JUMP(static_cast<int32_t>(O2));                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
#define BR64(op, expr)                                                                             \
    L_br_i64_##op : {                                                                              \
        const uint64_t a = rd<uint64_t>(fp, O0);                                                   \
        const uint64_t b = rd<uint64_t>(fp, O1);                                                   \
        if (expr) JUMP(static_cast<int32_t>(O2));                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_br_i64_##op##_imm : {                                                                        \
        const uint64_t a = rd<uint64_t>(fp, O0);                                                   \
        const uint64_t b = pc[2];                                                                  \
        if (expr) JUMP(static_cast<int32_t>(O1));                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CMP_OPS(BR32, uint32_t, S32)
    CMP_OPS(BR64, uint64_t, S64)

    // Add a constant, then compare-and-branch on the sum (counted loops). The sum is written
    // before b is read: b may be the same slot.
#define ADD_BR32(op, expr)                                                                         \
    L_add_br_i32_##op : {                                                                          \
        const uint32_t a = rd<uint32_t>(fp, O1) + O2;                                              \
        wr<uint32_t>(fp, O0, a);                                                                   \
        const uint32_t b = rd<uint32_t>(fp, O3);                                                   \
        if (expr) JUMP(static_cast<int32_t>(O4));                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_add_br_i32_##op##_imm : {                                                                    \
        const uint32_t a = rd<uint32_t>(fp, O1) + O2;                                              \
        wr<uint32_t>(fp, O0, a);                                                                   \
        const uint32_t b = O3;                                                                     \
        if (expr) JUMP(static_cast<int32_t>(O4));                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    CMP_OPS(ADD_BR32, uint32_t, S32)

    UNOP(i32_eqz, uint32_t, uint32_t, a == 0)
    UNOP(i64_eqz, uint64_t, uint32_t, a == 0)
    BINOP(f32_eq, float, uint32_t, a == b)
    BINOP(f32_ne, float, uint32_t, a != b)
    BINOP(f32_lt, float, uint32_t, a < b)
    BINOP(f32_gt, float, uint32_t, a > b)
    BINOP(f32_le, float, uint32_t, a <= b)
    BINOP(f32_ge, float, uint32_t, a >= b)
    BINOP(f64_eq, double, uint32_t, a == b)
    BINOP(f64_ne, double, uint32_t, a != b)
    BINOP(f64_lt, double, uint32_t, a < b)
    BINOP(f64_gt, double, uint32_t, a > b)
    BINOP(f64_le, double, uint32_t, a <= b)
    BINOP(f64_ge, double, uint32_t, a >= b)
    UNOP(i32_clz, uint32_t, uint32_t, numeric::clz(a))
    UNOP(i32_ctz, uint32_t, uint32_t, numeric::ctz(a))
    UNOP(i32_popcnt, uint32_t, uint32_t, numeric::popcnt(a))
    UNOP(i64_clz, uint64_t, uint64_t, numeric::clz(a))
    UNOP(i64_ctz, uint64_t, uint64_t, numeric::ctz(a))
    UNOP(i64_popcnt, uint64_t, uint64_t, numeric::popcnt(a))
    BINOP(i32_rotl, uint32_t, uint32_t, numeric::rotl(a, b))
    BINOP(i32_rotr, uint32_t, uint32_t, numeric::rotr(a, b))
    BINOP(i64_rotl, uint64_t, uint64_t, numeric::rotl(a, b))
    BINOP(i64_rotr, uint64_t, uint64_t, numeric::rotr(a, b))
    IMM32(i32_rotl, uint32_t, numeric::rotl(a, b))
    IMM32(i32_rotr, uint32_t, numeric::rotr(a, b))
    IMM64(i64_rotl, uint64_t, numeric::rotl(a, b))
    IMM64(i64_rotr, uint64_t, numeric::rotr(a, b))
    // f64 arithmetic with a constant operand (same functions, same NaN handling as the plain
    // forms): [dst, a] + the constant's bits.
#define F64_IMM(name, expr)                                                                        \
    L_##name : {                                                                                   \
        const double a = rd<double>(fp, O1);                                                       \
        double c;                                                                                  \
        std::memcpy(&c, pc + 2, sizeof c);                                                         \
        wr<double>(fp, O0, expr);                                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    F64_IMM(f64_add_imm, numeric::fadd(a, c))
    F64_IMM(f64_sub_imm, numeric::fsub(a, c))
    F64_IMM(f64_mul_imm, numeric::fmul(a, c))
    F64_IMM(f64_div_imm, numeric::fdiv(a, c))
    F64_IMM(f64_imm_sub, numeric::fsub(c, a))
    F64_IMM(f64_imm_div, numeric::fdiv(c, a))
    // f64 arithmetic with one operand loaded from memory (an f64.load fused in; its bounds
    // check comes first, as before).
#define F64_MEM(name, expr)                                                                        \
    L_##name : {                                                                                   \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O2) + O4) + O3;                 \
        CHECK_BOUNDS(ea, sizeof(double));                                                          \
        const uint64_t bits = numeric::load_le<uint64_t>(mem_base + ea);                           \
        double m;                                                                                  \
        std::memcpy(&m, &bits, sizeof m);                                                          \
        const double a = rd<double>(fp, O1);                                                       \
        wr<double>(fp, O0, expr);                                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    F64_MEM(f64_add_mem, numeric::fadd(a, m))
    F64_MEM(f64_sub_mem, numeric::fsub(a, m))
    F64_MEM(f64_mul_mem, numeric::fmul(a, m))
    F64_MEM(f64_div_mem, numeric::fdiv(a, m))
    F64_MEM(f64_mem_sub, numeric::fsub(m, a))
    F64_MEM(f64_mem_div, numeric::fdiv(m, a))
L_i32_xor_rotl_imm:
    wr<uint32_t>(fp, O0, numeric::rotl(rd<uint32_t>(fp, O1) ^ rd<uint32_t>(fp, O2), O3));
    pc += 3;
    NEXT();

#define DIVOP(name, T, fn)                                                                         \
    L_##name : {                                                                                   \
        T out;                                                                                     \
        const TrapKind t = numeric::fn<T>(rd<T>(fp, O1), rd<T>(fp, O2), out);                      \
        if (t != TrapKind::none) [[unlikely]]                                                      \
            TRAP(t);                                                                               \
        wr<T>(fp, O0, out);                                                                        \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    DIVOP(i32_div_s, uint32_t, div_s)
    DIVOP(i32_div_u, uint32_t, div_u)
    DIVOP(i32_rem_s, uint32_t, rem_s)
    DIVOP(i32_rem_u, uint32_t, rem_u)
    DIVOP(i64_div_s, uint64_t, div_s)
    DIVOP(i64_div_u, uint64_t, div_u)
    DIVOP(i64_rem_s, uint64_t, rem_s)
    DIVOP(i64_rem_u, uint64_t, rem_u)

#define FLOAT_OPS(F, p)                                                                            \
    UNOP(p##_abs, F, F, numeric::fabs(a))                                                          \
    UNOP(p##_neg, F, F, numeric::fneg(a))                                                          \
    UNOP(p##_ceil, F, F, numeric::fceil(a))                                                        \
    UNOP(p##_floor, F, F, numeric::ffloor(a))                                                      \
    UNOP(p##_trunc, F, F, numeric::ftrunc(a))                                                      \
    UNOP(p##_nearest, F, F, numeric::fnearest(a))                                                  \
    UNOP(p##_sqrt, F, F, numeric::fsqrt(a))                                                        \
    BINOP(p##_add, F, F, numeric::fadd(a, b))                                                      \
    BINOP(p##_sub, F, F, numeric::fsub(a, b))                                                      \
    BINOP(p##_mul, F, F, numeric::fmul(a, b))                                                      \
    BINOP(p##_div, F, F, numeric::fdiv(a, b))                                                      \
    BINOP(p##_min, F, F, numeric::fmin(a, b))                                                      \
    BINOP(p##_max, F, F, numeric::fmax(a, b))                                                      \
    BINOP(p##_copysign, F, F, numeric::fcopysign(a, b))
    FLOAT_OPS(float, f32)
    FLOAT_OPS(double, f64)

    UNOP(i32_wrap_i64, uint64_t, uint32_t, numeric::wrap_i64(a))
    UNOP(i64_extend_i32_s, uint32_t, uint64_t, numeric::extend_i32_s(a))
    UNOP(i64_extend_i32_u, uint32_t, uint64_t, numeric::extend_i32_u(a))
    UNOP(f32_convert_i32_s, uint32_t, float, numeric::convert<float>(static_cast<int32_t>(a)))
    UNOP(f32_convert_i32_u, uint32_t, float, numeric::convert<float>(a))
    UNOP(f32_convert_i64_s, uint64_t, float, numeric::convert<float>(static_cast<int64_t>(a)))
    UNOP(f32_convert_i64_u, uint64_t, float, numeric::convert<float>(a))
    UNOP(f32_demote_f64, double, float, numeric::demote(a))
    UNOP(f64_convert_i32_s, uint32_t, double, numeric::convert<double>(static_cast<int32_t>(a)))
    UNOP(f64_convert_i32_u, uint32_t, double, numeric::convert<double>(a))
    UNOP(f64_convert_i64_s, uint64_t, double, numeric::convert<double>(static_cast<int64_t>(a)))
    UNOP(f64_convert_i64_u, uint64_t, double, numeric::convert<double>(a))
    UNOP(f64_promote_f32, float, double, numeric::promote(a))
    UNOP(i32_extend8_s, uint32_t, uint32_t, numeric::extend8_s(a))
    UNOP(i32_extend16_s, uint32_t, uint32_t, numeric::extend16_s(a))
    UNOP(i64_extend8_s, uint64_t, uint64_t, numeric::extend8_s(a))
    UNOP(i64_extend16_s, uint64_t, uint64_t, numeric::extend16_s(a))
    UNOP(i64_extend32_s, uint64_t, uint64_t, numeric::extend32_s(a))

#define TRUNCOP(name, F, I, R)                                                                     \
    L_##name : {                                                                                   \
        I out;                                                                                     \
        const TrapKind t = numeric::trunc<I>(rd<F>(fp, O1), out);                                  \
        if (t != TrapKind::none) [[unlikely]]                                                      \
            TRAP(t);                                                                               \
        wr<R>(fp, O0, static_cast<R>(out));                                                        \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }
    TRUNCOP(i32_trunc_f32_s, float, int32_t, uint32_t)
    TRUNCOP(i32_trunc_f32_u, float, uint32_t, uint32_t)
    TRUNCOP(i32_trunc_f64_s, double, int32_t, uint32_t)
    TRUNCOP(i32_trunc_f64_u, double, uint32_t, uint32_t)
    TRUNCOP(i64_trunc_f32_s, float, int64_t, uint64_t)
    TRUNCOP(i64_trunc_f32_u, float, uint64_t, uint64_t)
    TRUNCOP(i64_trunc_f64_s, double, int64_t, uint64_t)
    TRUNCOP(i64_trunc_f64_u, double, uint64_t, uint64_t)
    UNOP(i32_trunc_sat_f32_s, float, uint32_t, numeric::trunc_sat<int32_t>(a))
    UNOP(i32_trunc_sat_f32_u, float, uint32_t, numeric::trunc_sat<uint32_t>(a))
    UNOP(i32_trunc_sat_f64_s, double, uint32_t, numeric::trunc_sat<int32_t>(a))
    UNOP(i32_trunc_sat_f64_u, double, uint32_t, numeric::trunc_sat<uint32_t>(a))
    UNOP(i64_trunc_sat_f32_s, float, uint64_t, numeric::trunc_sat<int64_t>(a))
    UNOP(i64_trunc_sat_f32_u, float, uint64_t, numeric::trunc_sat<uint64_t>(a))
    UNOP(i64_trunc_sat_f64_s, double, uint64_t, numeric::trunc_sat<int64_t>(a))
    UNOP(i64_trunc_sat_f64_u, double, uint64_t, numeric::trunc_sat<uint64_t>(a))

    // ---------------- Memory ----------------

#define LOADOP(name, MT, R)                                                                        \
    L_##name : {                                                                                   \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O1)) + O2;                      \
        CHECK_BOUNDS(ea, sizeof(MT));                                                              \
        wr<R>(fp, O0, static_cast<R>(numeric::load_le<MT>(mem_base + ea)));                        \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    LOADOP(i32_load, uint32_t, uint32_t)
    LOADOP(i64_load, uint64_t, uint64_t)
    LOADOP(f32_load, uint32_t, uint32_t)
    LOADOP(f64_load, uint64_t, uint64_t)
    LOADOP(i32_load8_s, int8_t, uint32_t)
    LOADOP(i32_load8_u, uint8_t, uint32_t)
    LOADOP(i32_load16_s, int16_t, uint32_t)
    LOADOP(i32_load16_u, uint16_t, uint32_t)
    LOADOP(i64_load8_s, int8_t, uint64_t)
    LOADOP(i64_load8_u, uint8_t, uint64_t)
    LOADOP(i64_load16_s, int16_t, uint64_t)
    LOADOP(i64_load16_u, uint16_t, uint64_t)
    LOADOP(i64_load32_s, int32_t, uint64_t)
    LOADOP(i64_load32_u, uint32_t, uint64_t)

#define STOREOP(name, T, MT)                                                                       \
    L_##name : {                                                                                   \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O0)) + O2;                      \
        CHECK_BOUNDS(ea, sizeof(MT));                                                              \
        numeric::store_le<MT>(mem_base + ea, static_cast<MT>(rd<T>(fp, O1)));                      \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    STOREOP(i32_store, uint32_t, uint32_t)
    STOREOP(i64_store, uint64_t, uint64_t)
    STOREOP(f32_store, uint32_t, uint32_t)
    STOREOP(f64_store, uint64_t, uint64_t)
    STOREOP(i32_store8, uint32_t, uint8_t)
    STOREOP(i32_store16, uint32_t, uint16_t)
    STOREOP(i64_store8, uint64_t, uint8_t)
    STOREOP(i64_store16, uint64_t, uint16_t)
    STOREOP(i64_store32, uint64_t, uint32_t)

    // Address + constant folded in (the add wraps at 32 bits, as the i32.add it replaces).
#define LOADOP_AI(name, MT, R)                                                                     \
    L_##name##_ai : {                                                                              \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O1) + O3) + O2;                 \
        CHECK_BOUNDS(ea, sizeof(MT));                                                              \
        wr<R>(fp, O0, static_cast<R>(numeric::load_le<MT>(mem_base + ea)));                        \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    LOADOP_AI(i32_load, uint32_t, uint32_t)
    LOADOP_AI(i64_load, uint64_t, uint64_t)
    LOADOP_AI(f32_load, uint32_t, uint32_t)
    LOADOP_AI(f64_load, uint64_t, uint64_t)
    LOADOP_AI(i32_load8_s, int8_t, uint32_t)
    LOADOP_AI(i32_load8_u, uint8_t, uint32_t)
    LOADOP_AI(i32_load16_s, int16_t, uint32_t)
    LOADOP_AI(i32_load16_u, uint16_t, uint32_t)
    LOADOP_AI(i64_load8_s, int8_t, uint64_t)
    LOADOP_AI(i64_load8_u, uint8_t, uint64_t)
    LOADOP_AI(i64_load16_s, int16_t, uint64_t)
    LOADOP_AI(i64_load16_u, uint16_t, uint64_t)
    LOADOP_AI(i64_load32_s, int32_t, uint64_t)
    LOADOP_AI(i64_load32_u, uint32_t, uint64_t)

#define STOREOP_AI(name, T, MT)                                                                    \
    L_##name##_ai : {                                                                              \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O0) + O3) + O2;                 \
        CHECK_BOUNDS(ea, sizeof(MT));                                                              \
        numeric::store_le<MT>(mem_base + ea, static_cast<MT>(rd<T>(fp, O1)));                      \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    STOREOP_AI(i32_store, uint32_t, uint32_t)
    STOREOP_AI(i64_store, uint64_t, uint64_t)
    STOREOP_AI(f32_store, uint32_t, uint32_t)
    STOREOP_AI(f64_store, uint64_t, uint64_t)
    STOREOP_AI(i32_store8, uint32_t, uint8_t)
    STOREOP_AI(i32_store16, uint32_t, uint16_t)
    STOREOP_AI(i64_store8, uint64_t, uint8_t)
    STOREOP_AI(i64_store16, uint64_t, uint16_t)
    STOREOP_AI(i64_store32, uint64_t, uint32_t)

    // A load feeding a store of the same width. Both bounds are checked before the write,
    // as the pair did (either failure is the same trap, and the load had no side effect).
#define MOVEOP(name, MT)                                                                           \
    L_##name : {                                                                                   \
        const uint64_t src = static_cast<uint64_t>(rd<uint32_t>(fp, O0) + O2) + O1;                \
        const uint64_t dst = static_cast<uint64_t>(rd<uint32_t>(fp, O3) + O5) + O4;                \
        CHECK_BOUNDS(src, sizeof(MT));                                                             \
        CHECK_BOUNDS(dst, sizeof(MT));                                                             \
        numeric::store_le<MT>(mem_base + dst, numeric::load_le<MT>(mem_base + src));               \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    MOVEOP(move8, uint8_t)
    MOVEOP(move16, uint16_t)
    MOVEOP(move32, uint32_t)
    MOVEOP(move64, uint64_t)

    // `or` of a left and an unsigned right shift by constants (counts masked by the compiler).
L_i32_shl_or_shr:
    wr<uint32_t>(fp, O0, (rd<uint32_t>(fp, O1) << O2) | (rd<uint32_t>(fp, O3) >> O4));
    pc += 4;
    NEXT();
L_i64_shl_or_shr:
    wr<uint64_t>(fp, O0, (rd<uint64_t>(fp, O1) << O2) | (rd<uint64_t>(fp, O3) >> O4));
    pc += 4;
    NEXT();

#define STORE_SHL_OR_SHR(name, T)                                                                  \
    L_##name : {                                                                                   \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O0) + O2) + O1;                 \
        CHECK_BOUNDS(ea, sizeof(T));                                                               \
        numeric::store_le<T>(mem_base + ea, (rd<T>(fp, O3) << O4) | (rd<T>(fp, O5) >> O6));        \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }
    STORE_SHL_OR_SHR(i32_store_shl_or_shr, uint32_t)
    STORE_SHL_OR_SHR(i64_store_shl_or_shr, uint64_t)

#define STORE_CONST(name, MT)                                                                      \
    L_##name : {                                                                                   \
        const uint64_t ea = static_cast<uint64_t>(rd<uint32_t>(fp, O0) + O2) + O1;                 \
        CHECK_BOUNDS(ea, sizeof(MT));                                                              \
        numeric::store_le<MT>(mem_base + ea, static_cast<MT>(O3));                                 \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    STORE_CONST(store8_const, uint8_t)
    STORE_CONST(store16_const, uint16_t)
    STORE_CONST(store32_const, uint32_t)
    STORE_CONST(store64_const, uint64_t)

L_memory_size:
    wr<uint32_t>(fp, O0, static_cast<uint32_t>(MEM_SIZE >> 16));
    pc += 2;
    NEXT();
L_memory_grow : {
    MemoryInstance* m = inst->memories[0];
    wr<uint32_t>(fp, O0, m->grow(rd<uint32_t>(fp, O1)));
    mem_base = m->data; // unchanged (the reservation never moves)
    REFRESH_MEM_SIZE();
    pc += 2;
    NEXT();
}
L_memory_fill : {
    const uint64_t d = rd<uint32_t>(fp, O0);
    const uint32_t v = rd<uint32_t>(fp, O1);
    const uint64_t n = rd<uint32_t>(fp, O2);
    if (!in_bounds(d, n, MEM_SIZE)) TRAP(TrapKind::out_of_bounds_memory);
    std::memset(mem_base + d, static_cast<int>(v & 0xff), n);
    pc += 3;
    NEXT();
}
L_memory_copy : {
    const uint64_t d = rd<uint32_t>(fp, O0);
    const uint64_t s = rd<uint32_t>(fp, O1);
    const uint64_t n = rd<uint32_t>(fp, O2);
    if (!in_bounds(d, n, MEM_SIZE) || !in_bounds(s, n, MEM_SIZE))
        TRAP(TrapKind::out_of_bounds_memory);
    std::memmove(mem_base + d, mem_base + s, n);
    pc += 3;
    NEXT();
}
L_memory_init : {
    const std::span<const uint8_t> seg = inst->data_segment(O0);
    const uint64_t d = rd<uint32_t>(fp, O1);
    const uint64_t s = rd<uint32_t>(fp, O2);
    const uint64_t n = rd<uint32_t>(fp, O3);
    if (!in_bounds(d, n, MEM_SIZE) || !in_bounds(s, n, seg.size()))
        TRAP(TrapKind::out_of_bounds_memory);
    if (n) std::memcpy(mem_base + d, seg.data() + s, n);
    pc += 3;
    NEXT();
}
L_data_drop:
    inst->data_dropped[O0] = true;
    pc += 2;
    NEXT();

    // ---------------- Tables and references ----------------

L_table_get : {
    TableInstance* t = inst->tables[O1];
    const uint32_t i = rd<uint32_t>(fp, O2);
    if (i >= t->elements.size()) TRAP(TrapKind::out_of_bounds_table);
    wr<void*>(fp, O0, t->elements[i]);
    pc += 3;
    NEXT();
}
L_table_set : {
    TableInstance* t = inst->tables[O0];
    const uint32_t i = rd<uint32_t>(fp, O1);
    if (i >= t->elements.size()) TRAP(TrapKind::out_of_bounds_table);
    t->elements[i] = rd<void*>(fp, O2);
    pc += 3;
    NEXT();
}
L_table_size:
    wr<uint32_t>(fp, O0, inst->tables[O1]->size());
    pc += 2;
    NEXT();
L_table_grow:
    wr<uint32_t>(fp, O0, inst->tables[O1]->grow(rd<uint32_t>(fp, O3), rd<void*>(fp, O2)));
    pc += 3;
    NEXT();
L_table_fill : {
    TableInstance* t = inst->tables[O0];
    const uint64_t i = rd<uint32_t>(fp, O1);
    void* v = rd<void*>(fp, O2);
    const uint64_t n = rd<uint32_t>(fp, O3);
    if (!in_bounds(i, n, t->elements.size())) TRAP(TrapKind::out_of_bounds_table);
    std::fill_n(t->elements.begin() + static_cast<ptrdiff_t>(i), n, v);
    pc += 3;
    NEXT();
}
L_table_copy : {
    TableInstance* dt = inst->tables[O0];
    TableInstance* srct = inst->tables[O1];
    const uint64_t d = rd<uint32_t>(fp, O2);
    const uint64_t s = rd<uint32_t>(fp, O3);
    const uint64_t n = rd<uint32_t>(fp, O4);
    if (!in_bounds(d, n, dt->elements.size()) || !in_bounds(s, n, srct->elements.size()))
        TRAP(TrapKind::out_of_bounds_table);
    if (n) std::memmove(dt->elements.data() + d, srct->elements.data() + s, n * sizeof(void*));
    pc += 4;
    NEXT();
}
L_table_init : {
    TableInstance* t = inst->tables[O0];
    const std::vector<void*>& seg = inst->element_segments[O1];
    const uint64_t d = rd<uint32_t>(fp, O2);
    const uint64_t s = rd<uint32_t>(fp, O3);
    const uint64_t n = rd<uint32_t>(fp, O4);
    if (!in_bounds(d, n, t->elements.size()) || !in_bounds(s, n, seg.size()))
        TRAP(TrapKind::out_of_bounds_table);
    if (n) std::memcpy(t->elements.data() + d, seg.data() + s, n * sizeof(void*));
    pc += 4;
    NEXT();
}
L_elem_drop:
    inst->element_segments[O0] = std::vector<void*>();
    pc += 2;
    NEXT();
L_ref_is_null:
    wr<uint32_t>(fp, O0, rd<void*>(fp, O1) == nullptr);
    pc += 2;
    NEXT();
L_ref_func:
    wr<void*>(fp, O0, funcs[O1]);
    pc += 2;
    NEXT();

    // ---------------- Variables, copies, select ----------------

L_copy:
    wr<uint64_t>(fp, O0, rd<uint64_t>(fp, O1));
    pc += 2;
    NEXT();
L_const32:
    wr<uint64_t>(fp, O0, O1);
    pc += 2;
    NEXT();
L_const64:
    wr<uint64_t>(fp, O0, pc[2]);
    pc += 3;
    NEXT();
L_select:
    wr<uint64_t>(fp, O0, rd<uint32_t>(fp, O3) ? rd<uint64_t>(fp, O1) : rd<uint64_t>(fp, O2));
    pc += 3;
    NEXT();
L_global_get:
    wr<uint64_t>(fp, O0, globals[O1]->value.i64);
    pc += 2;
    NEXT();
L_global_set:
    globals[O0]->value.i64 = rd<uint64_t>(fp, O1);
    pc += 2;
    NEXT();

    // ---------------- Control ----------------

L_unreachable:
    TRAP(TrapKind::unreachable);
L_br:
    JUMP(static_cast<int32_t>(O0));
L_br_if:
    if (rd<uint32_t>(fp, O0)) JUMP(static_cast<int32_t>(O1));
    pc += 2;
    NEXT();
L_br_unless:
    if (!rd<uint32_t>(fp, O0)) JUMP(static_cast<int32_t>(O1));
    pc += 2;
    NEXT();
L_br_i32_test_imm:
    if (rd<uint32_t>(fp, O0) & O1) JUMP(static_cast<int32_t>(O2));
    pc += 3;
    NEXT();
L_br_i32_test_z_imm:
    if (!(rd<uint32_t>(fp, O0) & O1)) JUMP(static_cast<int32_t>(O2));
    pc += 3;
    NEXT();
L_br_table : {
    uint32_t i = rd<uint32_t>(fp, O0);
    const uint32_t n = O1;
    if (i > n) i = n;
    JUMP(static_cast<int32_t>(operand_at(pc, 2 + i)));
}

    // Native code (jit.cpp) from here on, until an instruction it leaves to the interpreter.
L_jit_enter : {
    native.fp = fp;
    native.cur = cur;
    native.frame_top = frame_top;
    // Loaded here, not cached: a nested activation may have made the module native meanwhile.
    NATIVE_RUNNING(&native);
    const uintptr_t next = inst->module->native->trampoline()(&native, pc[1]);
    NATIVE_RUNNING(nullptr);
    fp = native.fp;
    cur = native.cur;
    frame_top = native.frame_top;
    PUBLISH_CHAIN();
    if (next < jit_trap_limit) [[unlikely]]
        TRAP(static_cast<TrapKind>(next));
    pc = reinterpret_cast<const uint64_t*>(next);
    NEXT();
}

L_call:
    callee = funcs[O0];
    new_fp = fp + O1;
    pc += 2;
    goto do_call;
L_call_indirect : {
    TableInstance* t = inst->tables[O1];
    const uint32_t i = rd<uint32_t>(fp, O2);
    if (i >= t->elements.size()) TRAP(TrapKind::undefined_element);
    callee = static_cast<FunctionInstance*>(t->elements[i]);
    if (callee == nullptr) TRAP(TrapKind::uninitialized_element);
    if (callee->type_id != inst->type_ids[O0]) TRAP(TrapKind::indirect_call_type_mismatch);
    new_fp = fp + O3;
    pc += 3;
    goto do_call;
}

do_call:
    if (const CompiledFunction* cf = callee->code) [[likely]] {
        if (frame_top == frames_end || static_cast<size_t>(stack_end - new_fp) <
                                           static_cast<size_t>(cf->frame_slots) * 8) [[unlikely]]
            TRAP(TrapKind::call_stack_exhausted);
        if (interrupt.load(std::memory_order_relaxed)) [[unlikely]]
            TRAP(TrapKind::interrupted);
        if (--*native_countdown == 0) [[unlikely]]
            become_hot(inst);
        frame_top->return_pc = pc;
        frame_top->fp = fp;
        frame_top->function = cur;
        ++frame_top;
        if (cf->local_slots)
            std::memset(new_fp + cf->param_slots * 8, 0, static_cast<size_t>(cf->local_slots) * 8);
        fp = new_fp;
        if (callee->instance != inst) {
            cur = callee;
            LOAD_CONTEXT();
        } else {
            cur = callee;
        }
        PUBLISH_CHAIN();
        pc = cf->code.data();
        NEXT();
    } else {
        // Host function: arguments in place, results just above them, then moved down.
        const FuncType& ft = *callee->type;
        const size_t np = ft.params.size();
        const size_t nr = ft.results.size();
        Value* args = reinterpret_cast<Value*>(new_fp);
        Value* results = args + np;
        if (static_cast<size_t>(st.slots_end - results) < nr) TRAP(TrapKind::call_stack_exhausted);
        Value* const saved_top = st.top_used;
        st.top_used = results + nr;
        st.frame_top = frame_top;
        HostCall call{*store, inst, callee->host_context};
#if WBPF_GUARD_PAGES
        tls_guard = nullptr; // host code faults are not guest traps
        const TrapKind t = callee->host(call, args, results);
        tls_guard = guard;
#else
        const TrapKind t = callee->host(call, args, results);
#endif
        st.top_used = saved_top;
        st.frame_top = frame_base;
        if (t != TrapKind::none) {
            host_trap_function = callee;
            TRAP(t);
        }
        if (nr) std::memmove(args, results, nr * sizeof(Value));
        REFRESH_MEM_SIZE();
        NEXT();
    }

L_ret:
    if (frame_top == frame_base) return TrapKind::none;
    --frame_top;
    pc = frame_top->return_pc;
    fp = frame_top->fp;
    if (frame_top->function->instance != inst) {
        cur = frame_top->function;
        LOAD_CONTEXT();
    } else {
        cur = frame_top->function;
        REFRESH_MEM_SIZE();
    }
    PUBLISH_CHAIN();
    NEXT();

trap_exit:
    record_trap(result, trap, host_trap_function, cur, frame_top, frame_base);
    return trap;

#undef LOAD_CONTEXT
#undef REFRESH_MEM_SIZE
#undef MEM_SIZE
#undef PUBLISH_MEMORY
#undef PUBLISH_CHAIN
#undef NATIVE_RUNNING
#undef CHECK_BOUNDS
#undef NEXT
#undef JUMP
#undef TRAP
#undef O0
#undef O1
#undef O2
#undef O3
#undef O4
#undef O5
#undef O6
}

#if WBPF_GUARD_PAGES
/// run() as the target of guard-page faults. Nothing with a destructor lives in run()'s
/// frame while guest code runs (host calls clear tls_guard), so the jump skips none.
[[gnu::noinline]] TrapKind run_guarded(Store* store, FunctionInstance* function, uint8_t* fp,
                                       ExecResult* result) {
    static const bool handler_installed = install_memory_fault_handler();
    (void)handler_installed;
    GuardFrame frame;
    frame.frame_base = store->stack().frame_top;
    GuardFrame* const outer = tls_guard;
    // No signal mask saved: the handler runs with SA_NODEFER, so the mask is unchanged.
    if (sigsetjmp(frame.env, 0) != 0) {
        tls_guard = outer;
        FunctionInstance* const cur = frame.native ? frame.native->cur : frame.cur;
        CallFrame* const frame_top = frame.native ? frame.native->frame_top : frame.frame_top;
        record_trap(result, TrapKind::out_of_bounds_memory, nullptr, cur, frame_top,
                    frame.frame_base);
        return TrapKind::out_of_bounds_memory;
    }
    tls_guard = &frame;
    const TrapKind t = run(store, function, fp, result, nullptr, &frame);
    tls_guard = outer;
    return t;
}
#endif

/// Keeps ExecutionStack::nesting balanced on every exit path.
struct NestingGuard {
    explicit NestingGuard(ExecutionStack& s) : stack(s) { ++stack.nesting; }
    ~NestingGuard() { --stack.nesting; }
    ExecutionStack& stack;
};

} // namespace

bool guard_page_bounds_checks() noexcept {
    return WBPF_GUARD_PAGES != 0;
}

const void* const* interpreter_handler_table() noexcept {
    static const void* const* table = [] {
        const void* const* t = nullptr;
        run(nullptr, nullptr, nullptr, nullptr, &t, nullptr);
        return t;
    }();
    return table;
}

void execute(Store& store, FunctionInstance& function, Value* args_results, ExecResult& result) {
    ExecutionStack& st = store.stack();
    result.trap = TrapKind::none;
    result.backtrace.clear();
    result.omitted_frames = 0;
    auto fail = [&](TrapKind kind) {
        result.trap = kind;
        result.backtrace.push_back(TrapFrame{function.instance, function.index});
    };
    if (st.nesting >= st.max_nesting) return fail(TrapKind::call_stack_exhausted);
    NestingGuard guard(st);

    const size_t np = function.type->params.size();
    const size_t nr = function.type->results.size();
    Value* const base = st.top_used;
    const size_t room = static_cast<size_t>(st.slots_end - base);
    if (function.code == nullptr) {
        if (room < np + nr) return fail(TrapKind::call_stack_exhausted);
        std::memcpy(base, args_results, np * sizeof(Value));
        st.top_used = base + np + nr;
        HostCall call{store, nullptr, function.host_context};
        const TrapKind t = function.host(call, base, base + np);
        st.top_used = base;
        if (t != TrapKind::none) return fail(t);
        std::memcpy(args_results, base + np, nr * sizeof(Value));
        return;
    }
    if (room < std::max<size_t>(function.code->frame_slots, np))
        return fail(TrapKind::call_stack_exhausted);
    std::memcpy(base, args_results, np * sizeof(Value));
    CallFrame* const saved_frames = st.frame_top;
#if WBPF_GUARD_PAGES
    const TrapKind t = run_guarded(&store, &function, reinterpret_cast<uint8_t*>(base), &result);
#else
    const TrapKind t =
        run(&store, &function, reinterpret_cast<uint8_t*>(base), &result, nullptr, nullptr);
#endif
    st.frame_top = saved_frames;
    st.top_used = base;
    if (t == TrapKind::none) std::memcpy(args_results, base, nr * sizeof(Value));
}

} // namespace wbpf::wasm
// NOLINTEND(performance-no-int-to-ptr)
