// The Store: owner of all runtime entities, instantiation, and the entry point for calling
// into the guest. One Store is one single-threaded execution world; only request_interrupt()
// may be called from another thread or a signal handler.
#pragma once

#include "runtime.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbpf::wasm {

struct ExecutionStack; // the interpreter's value and call stacks (interpreter.hpp)

struct StoreOptions {
    /// Maximum wasm call depth (frames); deeper recursion traps with call_stack_exhausted.
    uint32_t max_call_depth = 50000;
    /// Operand/locals stack size in 8-byte slots (reserved lazily; touched pages only).
    uint32_t value_stack_slots = 4u << 20;
    /// Maximum nesting of guest -> host -> guest calls (each level uses native stack).
    uint32_t max_host_nesting = 100;
    /// Upper bound on any memory's size, in pages (65536 = 4 GiB).
    uint32_t max_memory_pages = max_pages;
    /// Upper bound on the elements of all tables of the store together (each 8 bytes).
    uint32_t max_table_elements = 10'000'000;
};

/// One frame of a trap backtrace, innermost first.
struct TrapFrame {
    const Instance* instance = nullptr; ///< nullptr for a host function
    uint32_t function_index = 0;
};

struct ExecResult {
    /// At most this many frames are recorded: a trap at the bottom of a runaway recursion
    /// (call_stack_exhausted, 50,000 frames deep) must not allocate and walk them all.
    static constexpr size_t max_backtrace_frames = 64;

    TrapKind trap = TrapKind::none;
    std::vector<TrapFrame> backtrace; ///< filled when trap != none, innermost first
    uint32_t omitted_frames = 0;      ///< frames beyond max_backtrace_frames, not recorded
    bool ok() const noexcept { return trap == TrapKind::none; }
};

/// What a host function receives besides its arguments.
struct HostCall {
    Store& store;
    Instance* caller = nullptr; ///< instance whose code made the call; nullptr from the embedder
    void* context = nullptr;    ///< FunctionInstance::host_context
    /// The caller's memory 0, or nullptr.
    MemoryInstance* memory() const noexcept { return caller ? caller->memory() : nullptr; }
};

/// Named entities offered to a module's imports: (module name, field name) -> Extern.
class Imports {
public:
    void add(std::string module, std::string name, Extern entity);
    /// Offers every export of `instance` under module name `module` (spec `register`).
    void add_exports(const std::string& module, const Instance& instance);
    std::optional<Extern> find(std::string_view module, std::string_view name) const noexcept;

private:
    std::map<std::pair<std::string, std::string>, Extern, std::less<>> entries_;
};

class Store {
public:
    explicit Store(StoreOptions options = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Instantiates `module`: resolves imports (LinkError naming the import on failure),
    /// allocates entities, initialises segments and runs the start function, in spec order
    /// (InstantiationTrap if that traps). The instance lives as long as the Store.
    Instance& instantiate(std::shared_ptr<const Module> module, const Imports& imports);

    FunctionInstance& add_host_function(const FuncType& type, HostFunctionCallback callback,
                                        void* context = nullptr);
    TableInstance& add_table(TableType type, void* init = nullptr);
    MemoryInstance& add_memory(MemoryType type);
    GlobalInstance& add_global(GlobalType type, Value value);

    /// Calls `function` with `args` (count and types must match its type; checked) and writes
    /// its results into `results` (resized). Re-entrant: may be called from a host function.
    ExecResult call(FunctionInstance& function, std::span<const Value> args,
                    std::vector<Value>& results);

    /// Requests that running guest code stop with TrapKind::interrupted at its next call or
    /// loop back-edge. Async-signal-safe and thread-safe.
    void request_interrupt() noexcept { interrupt_.store(1, std::memory_order_relaxed); }
    void clear_interrupt() noexcept { interrupt_.store(0, std::memory_order_relaxed); }
    bool interrupt_requested() const noexcept {
        return interrupt_.load(std::memory_order_relaxed) != 0;
    }
    /// The flag the interpreter polls (hot path: a relaxed load).
    const std::atomic<uint32_t>& interrupt_flag() const noexcept { return interrupt_; }

    /// Canonical id of a function type: equal types get equal ids. Stable for the Store's life.
    uint32_t type_id(const FuncType& type);
    const FuncType& type_of(uint32_t id) const noexcept { return *types_[id]; }

    /// Set by a host function before returning TrapKind::host_exit / host_error.
    void set_exit_code(int32_t code) noexcept { exit_code_ = code; }
    int32_t exit_code() const noexcept { return exit_code_; }
    void set_host_error(std::string message) { host_error_ = std::move(message); }
    const std::string& host_error_message() const noexcept { return host_error_; }

    const StoreOptions& options() const noexcept { return options_; }
    ExecutionStack& stack() noexcept { return *stack_; }

private:
    StoreOptions options_;
    std::atomic<uint32_t> interrupt_{0};
    int32_t exit_code_ = 0;
    std::string host_error_;

    std::vector<std::unique_ptr<FuncType>> types_;
    std::deque<FunctionInstance> functions_;
    TableElementBudget table_budget_; // declared before tables_: it outlives them
    std::deque<std::unique_ptr<TableInstance>> tables_;
    std::deque<std::unique_ptr<MemoryInstance>> memories_;
    std::deque<GlobalInstance> globals_;
    std::deque<std::unique_ptr<Instance>> instances_;
    std::unique_ptr<ExecutionStack> stack_;
};

} // namespace wbpf::wasm
