// libFuzzer target: arbitrary bytes through the whole engine.
//
// Each input is decoded, validated and compiled (parse_module); a module that loads is
// instantiated against stub imports of exactly the requested types and every exported
// function is called with zero-valued arguments. Load and link errors (wasm::Error) and traps
// are expected outcomes; anything else (a crash, a sanitizer report, an escaping exception, a
// hang past libFuzzer's -timeout) is a bug.
//
// Differential: where the JIT is available, every module runs twice, with native code and
// interpreted only, and the two must agree on every call's trap kind and result bits and on
// the final contents of memory 0 (unless the watchdog interrupted either run).
//
// Execution is bounded by a watchdog thread that calls Store::request_interrupt() once the
// current call has run for `call_budget` (or the input for `input_budget`). Arming it is a
// mutex-protected store of a pointer and a deadline: no syscall, no thread per input.

#include "wasm/jit.hpp"
#include "wasm/wasm.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace wbpf::wasm;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto call_budget = 25ms;
constexpr auto input_budget = 100ms;
constexpr auto watchdog_period = 2ms;
/// Exported functions called per input, so one input cannot cost more than the budgets.
constexpr size_t max_calls_per_input = 32;

/// Small limits: the fuzzer looks for bugs, not for the host's memory limit.
StoreOptions fuzz_store_options() {
    StoreOptions options;
    options.max_call_depth = 2000;
    options.value_stack_slots = 1u << 20; // 8 MiB
    options.max_host_nesting = 20;
    options.max_memory_pages = 1024; // 64 MiB
    options.max_table_elements = 10000;
    return options;
}

/// Interrupts the armed store when its deadline passes. Lives for the whole process.
class Watchdog {
public:
    Watchdog() : thread_([this] { watch(); }) { thread_.detach(); }

    void arm(Store& store, Clock::time_point deadline) {
        store.clear_interrupt();
        std::lock_guard lock(mutex_);
        store_ = &store;
        deadline_ = deadline;
    }
    /// After this returns the watchdog never touches the store again.
    void disarm() {
        std::lock_guard lock(mutex_);
        store_ = nullptr;
    }

private:
    [[noreturn]] void watch() {
        for (;;) {
            std::this_thread::sleep_for(watchdog_period);
            std::lock_guard lock(mutex_);
            if (store_ && Clock::now() >= deadline_) store_->request_interrupt();
        }
    }

    std::mutex mutex_;
    Store* store_ = nullptr;
    Clock::time_point deadline_;
    std::thread thread_;
};

Watchdog& watchdog() {
    // Never destroyed: the detached thread may outlive static destruction at exit().
    static Watchdog* instance = new Watchdog;
    return *instance;
}

/// Disarms the watchdog on every exit path, before the Store goes away.
struct ArmedScope {
    ~ArmedScope() { watchdog().disarm(); }
};

TrapKind return_zeros(HostCall& call, const Value*, Value* results) {
    const FuncType& type = *static_cast<const FuncType*>(call.context);
    std::fill_n(results, type.results.size(), Value{});
    return TrapKind::none;
}

/// Offers an entity of exactly the requested type for every import. Throws wasm::Error when
/// the store's limits refuse one (e.g. an imported memory larger than max_memory_pages).
Imports stub_imports(Store& store, const Module& module) {
    Imports imports;
    for (const Import& import : module.imports) {
        Extern entity;
        switch (import.kind) {
        case ExternKind::function: {
            const FuncType& type = module.types[import.function_type];
            // The context is the module's own FuncType, which outlives the store.
            entity = Extern::of(
                store.add_host_function(type, return_zeros, const_cast<FuncType*>(&type)));
            break;
        }
        case ExternKind::table: entity = Extern::of(store.add_table(import.table)); break;
        case ExternKind::memory: entity = Extern::of(store.add_memory(import.memory)); break;
        case ExternKind::global:
            entity = Extern::of(store.add_global(import.global, Value{}));
            break;
        }
        imports.add(import.module, import.name, entity);
    }
    return imports;
}

/// What one run observed, for the differential check.
struct Outcome {
    std::vector<uint64_t> observed; ///< per call: trap kind, then result bits; then a memory hash
    bool interrupted = false;       ///< the watchdog stopped a call: timing-dependent, not compared
};

uint64_t hash_memory(const Instance& instance) {
    if (instance.memories.empty()) return 0;
    const MemoryInstance& m = *instance.memories[0];
    uint64_t h = 1469598103934665603ull;                     // FNV-1a
    const uint64_t n = std::min<uint64_t>(m.size, 4u << 20); // bounded cost per input
    for (uint64_t i = 0; i < n; ++i)
        h = (h ^ m.data[i]) * 1099511628211ull;
    return h ^ m.size;
}

Outcome run_module(const std::shared_ptr<const Module>& module) {
    Outcome outcome;
    Store store(fuzz_store_options());
    const Clock::time_point input_deadline = Clock::now() + input_budget;
    auto deadline = [&] { return std::min(Clock::now() + call_budget, input_deadline); };

    ArmedScope armed;
    Instance* instance = nullptr;
    try {
        Imports imports = stub_imports(store, *module);
        watchdog().arm(store, deadline()); // the start function runs inside instantiate
        instance = &store.instantiate(module, imports);
    } catch (const Error&) {
        outcome.observed.push_back(UINT64_MAX);
        outcome.interrupted = store.interrupt_requested();
        return outcome;
    }

    std::vector<Value> args, results;
    size_t calls = 0;
    for (const Export& e : module->exports) {
        if (e.kind != ExternKind::function) continue;
        if (calls++ == max_calls_per_input) break;
        FunctionInstance& function = *instance->functions[e.index];
        args.assign(function.type->params.size(), Value{});
        watchdog().arm(store, deadline());
        ExecResult result = store.call(function, args, results);
        if (result.ok() && results.size() != function.type->results.size()) __builtin_trap();
        if (result.trap == TrapKind::interrupted) outcome.interrupted = true;
        outcome.observed.push_back(static_cast<uint64_t>(result.trap));
        // Only the bits of a result's type: the upper half of an i32 or f32 Value is
        // unspecified (native code zero-extends, the interpreter may leave other bits).
        for (size_t i = 0; i < results.size(); ++i) {
            const ValType t =
                i < function.type->results.size() ? function.type->results[i] : ValType::i64;
            const bool narrow = t == ValType::i32 || t == ValType::f32;
            const uint64_t bits = narrow ? results[i].i64 & 0xffffffffu : results[i].i64;
            outcome.observed.push_back(result.ok() ? bits : 0);
        }
    }
    outcome.observed.push_back(hash_memory(*instance));
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    watchdog();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::shared_ptr<const Module> module;
    try {
        ParseOptions eager; // native code for everything, not only for what gets hot
        eager.jit = JitMode::eager;
        module = parse_module(std::span<const uint8_t>(data, size), eager);
    } catch (const Error&) {
        return 0;
    }
    const Outcome native = run_module(module);
    if (!jit_available()) return 0;
    ParseOptions interpreted_only;
    interpreted_only.jit = JitMode::off;
    const Outcome interpreted =
        run_module(parse_module(std::span<const uint8_t>(data, size), interpreted_only));
    if (!native.interrupted && !interpreted.interrupted && native.observed != interpreted.observed)
        __builtin_trap(); // the JIT and the interpreter disagree
    return 0;
}
