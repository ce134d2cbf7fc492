// The Store: entity ownership, import resolution, instantiation (Wasm 2.0 §4.5.4) and calls.

#include "store.hpp"

#include "error.hpp"
#include "execution_stack.hpp"
#include "interpreter.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace wbpf::wasm {

namespace {

/// Heterogeneous key for Imports lookups, so find() allocates no strings.
struct ImportKey {
    std::string_view module;
    std::string_view name;

    using Entry = std::pair<std::string, std::string>;
    friend bool operator<(const ImportKey& a, const Entry& b) noexcept {
        return std::pair(a.module, a.name) <
               std::pair<std::string_view, std::string_view>(b.first, b.second);
    }
    friend bool operator<(const Entry& a, const ImportKey& b) noexcept {
        return std::pair<std::string_view, std::string_view>(a.first, a.second) <
               std::pair(b.module, b.name);
    }
};

std::string describe(const FuncType& type) {
    auto list = [](const std::vector<ValType>& types) {
        std::string s = "(";
        for (size_t i = 0; i < types.size(); ++i) {
            if (i) s += ", ";
            s += to_string(types[i]);
        }
        return s + ")";
    };
    return list(type.params) + " -> " + list(type.results);
}

std::string describe(const Limits& limits) {
    std::string s = std::to_string(limits.min) + "..";
    if (limits.max) s += std::to_string(*limits.max);
    return s;
}

std::string describe(const TableType& type) {
    return std::string(to_string(type.element)) + " table " + describe(type.limits);
}

std::string describe(const MemoryType& type) {
    return "memory " + describe(type.limits) + " pages";
}

std::string describe(const GlobalType& type) {
    return std::string(type.is_mutable ? "mutable " : "immutable ") +
           std::string(to_string(type.type)) + " global";
}

/// Spec import matching of limits: the provided entity is at least as large as required and
/// can never grow beyond the required maximum.
bool limits_match(const Limits& provided, const Limits& required) noexcept {
    if (provided.min < required.min) return false;
    if (!required.max) return true;
    return provided.max && *provided.max <= *required.max;
}

std::string quoted_name(const Import& import) {
    return "\"" + import.module + "\" \"" + import.name + "\"";
}

[[noreturn]] void incompatible(const Import& import, const std::string& expected,
                               const std::string& got) {
    throw LinkError("incompatible import type for " + quoted_name(import) + ": expected " +
                    expected + ", got " + got);
}

std::string describe_kind(const Extern& e) {
    switch (e.kind) {
    case ExternKind::function: return "function " + describe(*e.function()->type);
    case ExternKind::table: return describe(e.table()->current_type());
    case ExternKind::memory: return describe(e.memory()->current_type());
    case ExternKind::global: return describe(e.global()->type);
    }
    return "?";
}

/// Evaluates a constant expression of a validated module in the (partially built) instance.
Value evaluate(const ConstExpr& expr, const Instance& instance) noexcept {
    switch (expr.kind) {
    case ConstExpr::Kind::constant: return expr.value;
    case ConstExpr::Kind::global_get: return instance.globals[expr.index]->value;
    case ConstExpr::Kind::ref_null: return Value{static_cast<void*>(nullptr)};
    case ConstExpr::Kind::ref_func:
        return Value{static_cast<void*>(instance.functions[expr.index])};
    }
    return Value{};
}

std::string memory_limit_message(uint32_t pages, uint32_t limit) {
    return "memory of " + std::to_string(pages) + " pages exceeds the limit of " +
           std::to_string(limit) + " pages";
}

std::string table_limit_message(uint64_t elements, const TableElementBudget& budget) {
    std::string message = "table of " + std::to_string(elements) +
                          " elements exceeds the limit of " + std::to_string(budget.limit()) +
                          " elements";
    if (budget.available() < budget.limit())
        message += " for all tables (" + std::to_string(budget.available()) + " left)";
    return message;
}

} // namespace

// --- Imports ---

void Imports::add(std::string module, std::string name, Extern entity) {
    entries_.insert_or_assign(std::pair(std::move(module), std::move(name)), entity);
}

void Imports::add_exports(const std::string& module, const Instance& instance) {
    for (const Export& e : instance.module->exports) {
        if (auto entity = instance.find_export(e.name)) add(module, e.name, *entity);
    }
}

std::optional<Extern> Imports::find(std::string_view module, std::string_view name) const noexcept {
    auto it = entries_.find(ImportKey{module, name});
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

// --- Store ---

Store::Store(StoreOptions options)
    : options_(options), table_budget_(options.max_table_elements),
      stack_(make_execution_stack(options_)) {
}

Store::~Store() = default;

uint32_t Store::type_id(const FuncType& type) {
    // Stores see few distinct signatures, so a linear search beats hashing here.
    for (size_t i = 0; i < types_.size(); ++i) {
        if (*types_[i] == type) return static_cast<uint32_t>(i);
    }
    types_.push_back(std::make_unique<FuncType>(type));
    return static_cast<uint32_t>(types_.size() - 1);
}

FunctionInstance& Store::add_host_function(const FuncType& type, HostFunctionCallback callback,
                                           void* context) {
    if (!callback) throw std::invalid_argument("host function callback is null");
    const uint32_t id = type_id(type);
    FunctionInstance& f = functions_.emplace_back();
    f.type = types_[id].get();
    f.type_id = id;
    f.host = callback;
    f.host_context = context;
    return f;
}

TableInstance& Store::add_table(TableType type, void* init) {
    if (type.limits.min > table_budget_.available())
        throw Error(table_limit_message(type.limits.min, table_budget_));
    auto& table = tables_.emplace_back(std::make_unique<TableInstance>(type, table_budget_));
    std::fill(table->elements.begin(), table->elements.end(), init);
    return *table;
}

MemoryInstance& Store::add_memory(MemoryType type) {
    if (type.limits.min > options_.max_memory_pages)
        throw Error(memory_limit_message(type.limits.min, options_.max_memory_pages));
    return *memories_.emplace_back(
        std::make_unique<MemoryInstance>(type, options_.max_memory_pages));
}

GlobalInstance& Store::add_global(GlobalType type, Value value) {
    return globals_.emplace_back(GlobalInstance{type, value});
}

Instance& Store::instantiate(std::shared_ptr<const Module> module_ptr, const Imports& imports) {
    if (!module_ptr) throw std::invalid_argument("instantiate: module is null");
    const Module& module = *module_ptr;
    if (module.compiled.size() != module.functions.size())
        throw std::invalid_argument("instantiate: module was not compiled (use parse_module)");

    // (1) Resolve imports; nothing is allocated until every import matches.
    std::vector<Extern> resolved;
    resolved.reserve(module.imports.size());
    for (const Import& import : module.imports) {
        std::optional<Extern> found = imports.find(import.module, import.name);
        if (!found || !found->entity) throw LinkError("unknown import: " + quoted_name(import));
        const Extern& e = *found;
        switch (import.kind) {
        case ExternKind::function: {
            const FuncType& want = module.types[import.function_type];
            if (e.kind != import.kind || *e.function()->type != want)
                incompatible(import, "function " + describe(want), describe_kind(e));
            break;
        }
        case ExternKind::table:
            if (e.kind != import.kind || e.table()->type.element != import.table.element ||
                !limits_match(e.table()->current_type().limits, import.table.limits))
                incompatible(import, describe(import.table), describe_kind(e));
            break;
        case ExternKind::memory:
            if (e.kind != import.kind ||
                !limits_match(e.memory()->current_type().limits, import.memory.limits))
                incompatible(import, describe(import.memory), describe_kind(e));
            break;
        case ExternKind::global:
            if (e.kind != import.kind || e.global()->type.type != import.global.type ||
                e.global()->type.is_mutable != import.global.is_mutable)
                incompatible(import, describe(import.global), describe_kind(e));
            break;
        }
        resolved.push_back(e);
    }
    // Refuse oversized definitions before allocating anything.
    uint64_t table_elements = 0;
    for (const TableType& t : module.tables)
        table_elements += t.limits.min;
    if (table_elements > table_budget_.available())
        throw Error(table_limit_message(table_elements, table_budget_));
    for (const MemoryType& m : module.memories) {
        if (m.limits.min > options_.max_memory_pages)
            throw Error(memory_limit_message(m.limits.min, options_.max_memory_pages));
    }

    // (2) Allocate the instance and its entities. From here on the instance stays in the store
    // even if instantiation fails: segments may already have written to imported entities.
    Instance& inst = *instances_.emplace_back(std::make_unique<Instance>());
    inst.module = std::move(module_ptr);
    inst.store = this;

    inst.type_ids.reserve(module.types.size());
    for (const FuncType& t : module.types)
        inst.type_ids.push_back(type_id(t));

    inst.functions.reserve(module.function_count());
    inst.tables.reserve(module.table_count());
    inst.memories.reserve(module.memory_count());
    inst.globals.reserve(module.global_count());
    for (const Extern& e : resolved) {
        switch (e.kind) {
        case ExternKind::function: inst.functions.push_back(e.function()); break;
        case ExternKind::table: inst.tables.push_back(e.table()); break;
        case ExternKind::memory: inst.memories.push_back(e.memory()); break;
        case ExternKind::global: inst.globals.push_back(e.global()); break;
        }
    }
    for (size_t i = 0; i < module.functions.size(); ++i) {
        const uint32_t id = inst.type_ids[module.functions[i]];
        FunctionInstance& f = functions_.emplace_back();
        f.type = types_[id].get();
        f.type_id = id;
        f.instance = &inst;
        f.index = module.imported_function_count + static_cast<uint32_t>(i);
        f.code = module.compiled[i].get();
        inst.functions.push_back(&f);
    }
    for (const TableType& t : module.tables) {
        inst.tables.push_back(
            tables_.emplace_back(std::make_unique<TableInstance>(t, table_budget_)).get());
    }
    for (const MemoryType& m : module.memories) {
        inst.memories.push_back(
            memories_.emplace_back(std::make_unique<MemoryInstance>(m, options_.max_memory_pages))
                .get());
    }
    for (const Global& g : module.globals) {
        // Evaluated one by one so an initializer may read earlier globals.
        const Value value = evaluate(g.init, inst);
        inst.globals.push_back(&globals_.emplace_back(GlobalInstance{g.type, value}));
    }

    // (3) Resolve element segment items to references.
    inst.element_segments.resize(module.elements.size());
    for (size_t i = 0; i < module.elements.size(); ++i) {
        const ElementSegment& seg = module.elements[i];
        std::vector<void*>& refs = inst.element_segments[i];
        refs.reserve(seg.items.size());
        for (const ConstExpr& item : seg.items)
            refs.push_back(evaluate(item, inst).ref);
    }
    inst.data_dropped.assign(module.datas.size(), false);

    // (4) Active element segments, in order, as table.init + elem.drop.
    for (size_t i = 0; i < module.elements.size(); ++i) {
        const ElementSegment& seg = module.elements[i];
        std::vector<void*>& refs = inst.element_segments[i];
        if (seg.mode == SegmentMode::active) {
            TableInstance& table = *inst.tables[seg.table];
            const uint64_t offset = evaluate(seg.offset, inst).i32;
            if (offset + refs.size() > table.elements.size())
                throw InstantiationTrap(std::string(trap_message(TrapKind::out_of_bounds_table)));
            std::copy(refs.begin(), refs.end(), table.elements.begin() + offset);
        }
        if (seg.mode != SegmentMode::passive) std::vector<void*>().swap(refs);
    }

    // (5) Active data segments, in order, as memory.init + data.drop.
    for (size_t i = 0; i < module.datas.size(); ++i) {
        const DataSegment& seg = module.datas[i];
        if (seg.mode != SegmentMode::active) continue;
        MemoryInstance& memory = *inst.memories[seg.memory];
        const uint64_t offset = evaluate(seg.offset, inst).i32;
        auto bytes = module.slice(seg.bytes);
        auto target = memory.span(offset, bytes.size());
        if (!target)
            throw InstantiationTrap(std::string(trap_message(TrapKind::out_of_bounds_memory)));
        if (!bytes.empty()) std::memcpy(target->data(), bytes.data(), bytes.size());
        inst.data_dropped[i] = true;
    }

    // (6) The start function.
    if (module.start) {
        std::vector<Value> results;
        ExecResult r = call(*inst.functions[*module.start], {}, results);
        if (!r.ok()) {
            std::string message(trap_message(r.trap));
            if (r.trap == TrapKind::host_error && !host_error_.empty())
                message += ": " + host_error_;
            throw InstantiationTrap(message);
        }
    }
    return inst;
}

ExecResult Store::call(FunctionInstance& function, std::span<const Value> args,
                       std::vector<Value>& results) {
    const size_t param_count = function.type->params.size();
    const size_t result_count = function.type->results.size();
    if (args.size() != param_count) {
        throw std::invalid_argument("call: function takes " + std::to_string(param_count) +
                                    " arguments, got " + std::to_string(args.size()));
    }
    // Host callbacks (e.g. ring-buffer polling) call in often: avoid the heap for small arities.
    constexpr size_t inline_slots = 16;
    Value inline_buffer[inline_slots];
    std::unique_ptr<Value[]> heap_buffer;
    const size_t slots = std::max(param_count, result_count);
    Value* buffer = inline_buffer;
    if (slots > inline_slots) {
        heap_buffer = std::make_unique<Value[]>(slots);
        buffer = heap_buffer.get();
    }
    std::copy(args.begin(), args.end(), buffer);

    ExecResult result;
    execute(*this, function, buffer, result);
    if (result.ok()) {
        results.assign(buffer, buffer + result_count);
    } else {
        results.clear();
    }
    return result;
}

} // namespace wbpf::wasm
