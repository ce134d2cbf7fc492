// The embedding API end to end: parse, link, instantiate, call, host functions (re-entrant),
// traps, interrupts, limits. Modules are written in the text format and assembled with wabt's
// wat2wasm at test time (the tests are skipped if it is not installed).

#include "wasm/wasm.hpp"
#include "wat.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <unistd.h>

namespace wbpf::wasm {
namespace {

using namespace std::chrono_literals;

// --- helpers ---

using test::assemble;
using test::have_wat2wasm;

std::shared_ptr<const Module> parse(const std::string& text) {
    return parse_module(assemble(text));
}

class Embedding : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_wat2wasm()) GTEST_SKIP() << "wat2wasm not installed";
    }
};

const FuncType i32_to_i32{{ValType::i32}, {ValType::i32}};
const FuncType nothing_to_nothing{{}, {}};

/// Calls export `name` and expects it to succeed.
std::vector<Value> call_ok(Store& store, Instance& instance, std::string_view name,
                           std::vector<Value> args) {
    FunctionInstance* f = instance.find_function(name);
    EXPECT_NE(f, nullptr) << name;
    std::vector<Value> results;
    if (!f) return results;
    ExecResult r = store.call(*f, args, results);
    EXPECT_TRUE(r.ok()) << name << " trapped: " << trap_message(r.trap);
    return results;
}

TrapKind call_trap(Store& store, Instance& instance, std::string_view name,
                   std::vector<Value> args) {
    FunctionInstance* f = instance.find_function(name);
    EXPECT_NE(f, nullptr) << name;
    if (!f) return TrapKind::none;
    std::vector<Value> results;
    return store.call(*f, args, results).trap;
}

/// Expects `fn` to throw E whose message contains `needle`.
template <typename E, typename F>
void expect_error(F&& fn, const std::string& needle) {
    try {
        fn();
        ADD_FAILURE() << "expected an exception containing: " << needle;
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << "message: " << e.what() << "\nexpected to contain: " << needle;
    }
}

// --- basic calls and exports ---

TEST_F(Embedding, CallsAnExportedFunction) {
    auto module = parse(R"((module
        (func (export "add") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.add)))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    auto results = call_ok(store, instance, "add", {Value{40u}, Value{2u}});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].i32, 42u);
}

TEST_F(Embedding, ExportsAreFoundByNameAndKind) {
    auto module = parse(R"((module
        (func (export "f"))
        (memory (export "mem") 1 2)
        (table (export "tab") 3 funcref)
        (global (export "g") i64 (i64.const -5))
        (global (export "mg") (mut i32) (i32.const 7))))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    EXPECT_NE(instance.find_function("f"), nullptr);
    ASSERT_NE(instance.find_memory("mem"), nullptr);
    EXPECT_EQ(instance.find_memory("mem")->pages(), 1u);
    EXPECT_EQ(instance.memory(), instance.find_memory("mem"));
    ASSERT_NE(instance.find_table("tab"), nullptr);
    EXPECT_EQ(instance.find_table("tab")->size(), 3u);
    ASSERT_NE(instance.find_global("g"), nullptr);
    EXPECT_EQ(static_cast<int64_t>(instance.find_global("g")->value.i64), -5);
    EXPECT_TRUE(instance.find_global("mg")->type.is_mutable);

    // Wrong kind or unknown name: nothing.
    EXPECT_EQ(instance.find_function("mem"), nullptr);
    EXPECT_EQ(instance.find_memory("f"), nullptr);
    EXPECT_EQ(instance.find_global("tab"), nullptr);
    EXPECT_EQ(instance.find_table("g"), nullptr);
    EXPECT_EQ(instance.find_function("missing"), nullptr);
    EXPECT_FALSE(instance.find_export("").has_value());
    auto e = instance.find_export("mem");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->kind, ExternKind::memory);
}

TEST_F(Embedding, CallChecksArity) {
    auto module = parse(R"((module
        (func (export "one") (param i32) (result i32) local.get 0)))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    FunctionInstance& f = *instance.find_function("one");
    std::vector<Value> results;
    EXPECT_THROW(store.call(f, {}, results), std::invalid_argument);
    std::vector<Value> two{Value{1u}, Value{2u}};
    EXPECT_THROW(store.call(f, two, results), std::invalid_argument);
    std::vector<Value> one{Value{9u}};
    EXPECT_TRUE(store.call(f, one, results).ok());
    EXPECT_EQ(results.at(0).i32, 9u);
}

TEST_F(Embedding, ManyParamsAndResultsUseTheHeapBuffer) {
    // 20 params and 20 results: more than the call's inline buffer.
    std::string params, results, body;
    for (int i = 0; i < 20; ++i) {
        params += " i64";
        results += " i64";
        body += " local.get " + std::to_string(19 - i);
    }
    auto module = parse("(module (func (export \"rev\") (param" + params + ") (result" + results +
                        ")" + body + "))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    std::vector<Value> args;
    for (uint64_t i = 0; i < 20; ++i)
        args.emplace_back(i * 1000);
    auto out = call_ok(store, instance, "rev", args);
    ASSERT_EQ(out.size(), 20u);
    for (uint64_t i = 0; i < 20; ++i)
        EXPECT_EQ(out[i].i64, (19 - i) * 1000);
}

// --- host functions ---

TrapKind add_bias(HostCall& call, const Value* args, Value* results) {
    results[0] = Value{args[0].i32 + *static_cast<uint32_t*>(call.context)};
    return TrapKind::none;
}

TEST_F(Embedding, HostFunctionReceivesContextAndCaller) {
    auto module = parse(R"((module
        (import "env" "add_bias" (func $add_bias (param i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "run") (param i32) (result i32)
            local.get 0 call $add_bias)))");
    Store store;
    uint32_t bias = 1000;
    Imports imports;
    imports.add("env", "add_bias",
                Extern::of(store.add_host_function(i32_to_i32, add_bias, &bias)));
    Instance& instance = store.instantiate(module, imports);
    EXPECT_EQ(call_ok(store, instance, "run", {Value{5u}}).at(0).i32, 1005u);
    bias = 7;
    EXPECT_EQ(call_ok(store, instance, "run", {Value{5u}}).at(0).i32, 12u);

    // The host sees the calling instance and its memory.
    struct Seen {
        Instance* caller = nullptr;
        MemoryInstance* memory = nullptr;
    } seen;
    auto spy = [](HostCall& call, const Value*, Value*) {
        auto* s = static_cast<Seen*>(call.context);
        s->caller = call.caller;
        s->memory = call.memory();
        return TrapKind::none;
    };
    auto module2 = parse(R"((module
        (import "env" "spy" (func $spy))
        (memory (export "memory") 1)
        (func (export "run") call $spy)))");
    Imports imports2;
    imports2.add("env", "spy", Extern::of(store.add_host_function(nothing_to_nothing, spy, &seen)));
    Instance& instance2 = store.instantiate(module2, imports2);
    call_ok(store, instance2, "run", {});
    EXPECT_EQ(seen.caller, &instance2);
    EXPECT_EQ(seen.memory, instance2.find_memory("memory"));
}

TEST_F(Embedding, EmbedderCanCallAHostFunctionDirectly) {
    Store store;
    uint32_t bias = 3;
    FunctionInstance& f = store.add_host_function(i32_to_i32, add_bias, &bias);
    EXPECT_TRUE(f.is_host());
    std::vector<Value> results;
    std::vector<Value> args{Value{4u}};
    ASSERT_TRUE(store.call(f, args, results).ok());
    EXPECT_EQ(results.at(0).i32, 7u);
}

// guest "outer" -> host "callback" -> guest "inner" -> host "leaf", as a ring-buffer poll runs
// its per-event guest callback.
constexpr const char* reentrant_wat = R"((module
    (import "env" "callback" (func $callback (param i32) (result i32)))
    (import "env" "leaf" (func $leaf (param i32) (result i32)))
    (global $depth (mut i32) (i32.const 0))
    (func (export "outer") (param i32) (result i32)
        local.get 0 call $callback i32.const 1 i32.add)
    (func (export "inner") (param i32) (result i32)
        local.get 0 call $leaf i32.const 10 i32.mul)
    (func (export "inner_trap") (param i32) (result i32)
        local.get 0 call $leaf drop unreachable)
    (func (export "inner_div") (param i32) (result i32)
        i32.const 1 local.get 0 i32.div_u))
)";

struct CallbackState {
    std::string target = "inner";
    int calls = 0;
};

TrapKind reentrant_callback(HostCall& call, const Value* args, Value* results) {
    auto* state = static_cast<CallbackState*>(call.context);
    ++state->calls;
    FunctionInstance* inner = call.caller->find_function(state->target);
    if (!inner) return TrapKind::host_error;
    std::vector<Value> inner_results;
    ExecResult r = call.store.call(*inner, std::span(args, 1), inner_results);
    if (!r.ok()) return r.trap; // propagate the nested trap
    results[0] = Value{inner_results.at(0).i32 + 100};
    return TrapKind::none;
}

TrapKind leaf_plus_one(HostCall&, const Value* args, Value* results) {
    results[0] = Value{args[0].i32 + 1};
    return TrapKind::none;
}

TEST_F(Embedding, HostFunctionCallsBackIntoTheGuest) {
    auto module = parse(reentrant_wat);
    Store store;
    CallbackState state;
    Imports imports;
    imports.add("env", "callback",
                Extern::of(store.add_host_function(i32_to_i32, reentrant_callback, &state)));
    imports.add("env", "leaf", Extern::of(store.add_host_function(i32_to_i32, leaf_plus_one)));
    Instance& instance = store.instantiate(module, imports);
    // outer(5) = callback(5) + 1 = (inner(5) + 100) + 1 = ((5 + 1) * 10 + 100) + 1
    EXPECT_EQ(call_ok(store, instance, "outer", {Value{5u}}).at(0).i32, 161u);
    // Repeated nested calls leave no state behind.
    for (uint32_t i = 0; i < 2000; ++i) {
        auto out = call_ok(store, instance, "outer", {Value{i}});
        ASSERT_EQ(out.at(0).i32, (i + 1) * 10 + 101);
    }
    EXPECT_EQ(state.calls, 2001);
}

TEST_F(Embedding, TrapInNestedCallPropagatesAndStoreStaysUsable) {
    auto module = parse(reentrant_wat);
    Store store;
    CallbackState state;
    Imports imports;
    imports.add("env", "callback",
                Extern::of(store.add_host_function(i32_to_i32, reentrant_callback, &state)));
    imports.add("env", "leaf", Extern::of(store.add_host_function(i32_to_i32, leaf_plus_one)));
    Instance& instance = store.instantiate(module, imports);

    state.target = "inner_trap";
    FunctionInstance& outer = *instance.find_function("outer");
    std::vector<Value> results;
    std::vector<Value> args{Value{5u}};
    ExecResult r = store.call(outer, args, results);
    EXPECT_EQ(r.trap, TrapKind::unreachable);
    EXPECT_FALSE(r.backtrace.empty());
    EXPECT_TRUE(results.empty());

    state.target = "inner_div";
    std::vector<Value> zero{Value{0u}};
    EXPECT_EQ(store.call(outer, zero, results).trap, TrapKind::integer_divide_by_zero);

    state.target = "inner";
    EXPECT_EQ(call_ok(store, instance, "outer", {Value{1u}}).at(0).i32, 121u);
}

TEST_F(Embedding, HostExitAndHostErrorStopTheGuest) {
    auto module = parse(R"((module
        (import "env" "stop" (func $stop (param i32)))
        (func (export "run") (param i32) local.get 0 call $stop unreachable)))");
    Store store;
    auto stop = [](HostCall& call, const Value* args, Value*) {
        if (args[0].i32 == 0) {
            call.store.set_host_error("bad thing");
            return TrapKind::host_error;
        }
        call.store.set_exit_code(static_cast<int32_t>(args[0].i32));
        return TrapKind::host_exit;
    };
    Imports imports;
    imports.add("env", "stop", Extern::of(store.add_host_function({{ValType::i32}, {}}, stop)));
    Instance& instance = store.instantiate(module, imports);
    EXPECT_EQ(call_trap(store, instance, "run", {Value{3u}}), TrapKind::host_exit);
    EXPECT_EQ(store.exit_code(), 3);
    EXPECT_EQ(call_trap(store, instance, "run", {Value{0u}}), TrapKind::host_error);
    EXPECT_EQ(store.host_error_message(), "bad thing");
}

// --- linking ---

TEST_F(Embedding, MissingImportIsALinkError) {
    auto module = parse(reentrant_wat);
    Store store;
    Imports imports;
    imports.add("env", "leaf", Extern::of(store.add_host_function(i32_to_i32, leaf_plus_one)));
    expect_error<LinkError>([&] { store.instantiate(module, imports); },
                            "unknown import: \"env\" \"callback\"");
}

TEST_F(Embedding, WrongImportTypeIsALinkError) {
    auto module = parse(reentrant_wat);
    Store store;
    Imports imports;
    imports.add("env", "leaf", Extern::of(store.add_host_function(i32_to_i32, leaf_plus_one)));
    imports.add("env", "callback",
                Extern::of(store.add_host_function(nothing_to_nothing, leaf_plus_one)));
    expect_error<LinkError>([&] { store.instantiate(module, imports); },
                            "incompatible import type for \"env\" \"callback\"");

    // Wrong kind: a memory offered for a function.
    imports.add("env", "callback", Extern::of(store.add_memory(MemoryType{Limits{1, {}}})));
    expect_error<LinkError>([&] { store.instantiate(module, imports); },
                            "incompatible import type for \"env\" \"callback\"");
}

TEST_F(Embedding, MemoryAndTableImportsMatchLimits) {
    auto module = parse(R"((module
        (import "env" "memory" (memory 2 4))
        (import "env" "table" (table 1 funcref))))");
    Store store;
    TableInstance& table = store.add_table(TableType{ValType::funcref, Limits{1, {}}});
    auto try_memory = [&](Limits limits) {
        Imports imports;
        imports.add("env", "memory", Extern::of(store.add_memory(MemoryType{limits})));
        imports.add("env", "table", Extern::of(table));
        store.instantiate(module, imports);
    };
    EXPECT_NO_THROW(try_memory(Limits{2, 4}));
    EXPECT_NO_THROW(try_memory(Limits{3, 3}));
    EXPECT_THROW(try_memory(Limits{1, 4}), LinkError);  // too small
    EXPECT_THROW(try_memory(Limits{2, {}}), LinkError); // no maximum
    EXPECT_THROW(try_memory(Limits{2, 5}), LinkError);  // maximum too large

    // The current size of a grown memory counts as its minimum.
    MemoryInstance& grown = store.add_memory(MemoryType{Limits{1, 4}});
    ASSERT_EQ(grown.grow(1), 1u);
    Imports imports;
    imports.add("env", "memory", Extern::of(grown));
    imports.add("env", "table",
                Extern::of(store.add_table(TableType{ValType::externref, {1, {}}})));
    expect_error<LinkError>([&] { store.instantiate(module, imports); },
                            "incompatible import type for \"env\" \"table\"");
    imports.add("env", "table", Extern::of(store.add_table(TableType{ValType::funcref, {0, {}}})));
    EXPECT_THROW(store.instantiate(module, imports), LinkError);
    imports.add("env", "table", Extern::of(table));
    EXPECT_NO_THROW(store.instantiate(module, imports));
}

TEST_F(Embedding, GlobalImportsMatchTypeAndMutability) {
    auto module = parse(R"((module
        (import "env" "g" (global $g (mut i32)))
        (func (export "get") (result i32) global.get $g)
        (func (export "set") (param i32) local.get 0 global.set $g)))");
    Store store;
    {
        Imports imports;
        imports.add("env", "g", Extern::of(store.add_global({ValType::i32, false}, Value{1u})));
        EXPECT_THROW(store.instantiate(module, imports), LinkError);
    }
    {
        Imports imports;
        imports.add("env", "g", Extern::of(store.add_global({ValType::i64, true}, Value{1u})));
        EXPECT_THROW(store.instantiate(module, imports), LinkError);
    }
    GlobalInstance& g = store.add_global({ValType::i32, true}, Value{41u});
    Imports imports;
    imports.add("env", "g", Extern::of(g));
    Instance& instance = store.instantiate(module, imports);
    EXPECT_EQ(call_ok(store, instance, "get", {}).at(0).i32, 41u);
    call_ok(store, instance, "set", {Value{99u}});
    EXPECT_EQ(g.value.i32, 99u); // shared with the host
}

TEST_F(Embedding, RegisteredExportsCanBeImported) {
    auto provider = parse(R"((module
        (memory (export "mem") 1)
        (global (export "base") i32 (i32.const 16))
        (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)))");
    auto user = parse(R"((module
        (import "lib" "mem" (memory 1))
        (import "lib" "base" (global $base i32))
        (import "lib" "double" (func $double (param i32) (result i32)))
        (func (export "run") (param i32) (result i32)
            global.get $base local.get 0 call $double i32.store
            global.get $base i32.load)))");
    Store store;
    Instance& lib = store.instantiate(provider, Imports{});
    Imports imports;
    imports.add_exports("lib", lib);
    Instance& app = store.instantiate(user, imports);
    EXPECT_EQ(call_ok(store, app, "run", {Value{21u}}).at(0).i32, 42u);
    uint32_t stored = 0;
    ASSERT_TRUE(lib.find_memory("mem")->load(16, stored));
    EXPECT_EQ(stored, 42u);
}

// --- instantiation ---

TEST_F(Embedding, GlobalInitializersAndElementSegments) {
    auto module = parse(R"((module
        (import "env" "base" (global $base i32))
        (global $copy i32 (global.get $base))
        (global $fref funcref (ref.func $seven))
        (table $t 4 funcref)
        (elem (table $t) (global.get $base) func $seven $eight)
        (func $seven (result i32) i32.const 7)
        (func $eight (result i32) i32.const 8)
        (func (export "copy") (result i32) global.get $copy)
        (func (export "at") (param i32) (result i32) local.get 0 call_indirect (result i32))
        (func (export "fref_is_seven") (result i32)
            global.get $fref ref.is_null i32.eqz)))");
    Store store;
    Imports imports;
    imports.add("env", "base", Extern::of(store.add_global({ValType::i32, false}, Value{1u})));
    Instance& instance = store.instantiate(module, imports);
    EXPECT_EQ(call_ok(store, instance, "copy", {}).at(0).i32, 1u);
    EXPECT_EQ(call_ok(store, instance, "at", {Value{1u}}).at(0).i32, 7u);
    EXPECT_EQ(call_ok(store, instance, "at", {Value{2u}}).at(0).i32, 8u);
    EXPECT_EQ(call_trap(store, instance, "at", {Value{0u}}), TrapKind::uninitialized_element);
    EXPECT_EQ(call_trap(store, instance, "at", {Value{4u}}), TrapKind::undefined_element);
    EXPECT_EQ(call_ok(store, instance, "fref_is_seven", {}).at(0).i32, 1u);
    // Active segments are dropped after instantiation.
    ASSERT_EQ(instance.element_segments.size(), 1u);
    EXPECT_TRUE(instance.element_segments[0].empty());
}

TEST_F(Embedding, DataSegmentsInitializeMemoryAndPassiveOnesRemain) {
    auto module = parse(R"((module
        (memory (export "memory") 1)
        (data (i32.const 8) "hello\00")
        (data $passive "world")))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    EXPECT_EQ(instance.memory()->c_string(8, 100), "hello");
    EXPECT_TRUE(instance.data_segment(0).empty()); // active: dropped
    auto passive = instance.data_segment(1);
    EXPECT_EQ(std::string(passive.begin(), passive.end()), "world");
    EXPECT_TRUE(instance.data_segment(2).empty()); // out of range: empty, no crash
}

TEST_F(Embedding, OutOfBoundsSegmentsTrapAtInstantiation) {
    Store store;
    auto data = parse(R"((module (memory 1) (data (i32.const 65535) "ab")))");
    expect_error<InstantiationTrap>([&] { store.instantiate(data, Imports{}); },
                                    "out of bounds memory access");
    auto empty_data_beyond = parse(R"((module (memory 1) (data (i32.const 65537) "")))");
    expect_error<InstantiationTrap>([&] { store.instantiate(empty_data_beyond, Imports{}); },
                                    "out of bounds memory access");
    auto elem = parse(R"((module (table 1 funcref) (func $f) (elem (i32.const 1) $f)))");
    expect_error<InstantiationTrap>([&] { store.instantiate(elem, Imports{}); },
                                    "out of bounds table access");
}

TEST_F(Embedding, EarlierSegmentsStayWrittenWhenALaterOneTraps) {
    Store store;
    TableInstance& table = store.add_table(TableType{ValType::funcref, Limits{3, {}}});
    MemoryInstance& memory = store.add_memory(MemoryType{Limits{1, {}}});
    auto module = parse(R"((module
        (import "env" "table" (table 3 funcref))
        (import "env" "memory" (memory 1))
        (func $f)
        (elem (i32.const 0) $f)
        (elem (i32.const 2) $f $f)
        (data (i32.const 0) "x")))");
    Imports imports;
    imports.add("env", "table", Extern::of(table));
    imports.add("env", "memory", Extern::of(memory));
    EXPECT_THROW(store.instantiate(module, imports), InstantiationTrap);
    EXPECT_NE(table.elements[0], nullptr); // first segment written
    EXPECT_EQ(table.elements[1], nullptr);
    EXPECT_EQ(table.elements[2], nullptr); // the failing segment wrote nothing
    EXPECT_EQ(memory.data[0], 0);          // data segments never ran
    // The function stored in the shared table stays callable.
    auto* f = static_cast<FunctionInstance*>(table.elements[0]);
    std::vector<Value> results;
    EXPECT_TRUE(store.call(*f, {}, results).ok());
}

TEST_F(Embedding, StartFunctionRunsAndItsTrapFailsInstantiation) {
    Store store;
    auto starts = parse(R"((module
        (global (export "g") (mut i32) (i32.const 0))
        (func $start i32.const 5 global.set 0)
        (start $start)))");
    Instance& instance = store.instantiate(starts, Imports{});
    EXPECT_EQ(instance.find_global("g")->value.i32, 5u);

    auto traps = parse(R"((module (func $start unreachable) (start $start)))");
    expect_error<InstantiationTrap>([&] { store.instantiate(traps, Imports{}); }, "unreachable");
}

// --- limits ---

TEST_F(Embedding, StoreLimitsBoundMemoryAndTableGrowth) {
    StoreOptions options;
    options.max_memory_pages = 4;
    options.max_table_elements = 10;
    Store store(options);
    auto module = parse(R"((module
        (memory (export "memory") 1)
        (table 2 funcref)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
        (func (export "tgrow") (param i32) (result i32)
            ref.null func local.get 0 table.grow 0)))");
    Instance& instance = store.instantiate(module, Imports{});
    EXPECT_EQ(call_ok(store, instance, "grow", {Value{4u}}).at(0).i32, UINT32_MAX);
    EXPECT_EQ(call_ok(store, instance, "grow", {Value{3u}}).at(0).i32, 1u);
    EXPECT_EQ(call_ok(store, instance, "grow", {Value{1u}}).at(0).i32, UINT32_MAX);
    EXPECT_EQ(instance.memory()->pages(), 4u);
    EXPECT_EQ(call_ok(store, instance, "tgrow", {Value{9u}}).at(0).i32, UINT32_MAX);
    EXPECT_EQ(call_ok(store, instance, "tgrow", {Value{8u}}).at(0).i32, 2u);
    EXPECT_EQ(call_ok(store, instance, "tgrow", {Value{1u}}).at(0).i32, UINT32_MAX);

    auto big = parse(R"((module (memory 5)))");
    expect_error<Error>([&] { store.instantiate(big, Imports{}); },
                        "memory of 5 pages exceeds the limit of 4 pages");
    auto big_table = parse(R"((module (table 11 funcref)))");
    expect_error<Error>([&] { store.instantiate(big_table, Imports{}); },
                        "table of 11 elements exceeds the limit of 10 elements");
    EXPECT_THROW(store.add_memory(MemoryType{Limits{5, {}}}), Error);
}

TEST_F(Embedding, TableLimitBoundsAllTablesOfTheStoreTogether) {
    StoreOptions options;
    options.max_table_elements = 10;
    Store store(options);
    // Each table is within the limit, together they are not: a hostile module must not multiply
    // the limit by declaring many tables.
    auto many = parse(R"((module (table 6 funcref) (table 6 funcref)))");
    expect_error<Error>([&] { store.instantiate(many, Imports{}); },
                        "table of 12 elements exceeds the limit of 10 elements");
    auto module = parse(R"((module
        (table 4 funcref) (table 0 funcref)
        (func (export "grow0") (param i32) (result i32) ref.null func local.get 0 table.grow 0)
        (func (export "grow1") (param i32) (result i32) ref.null func local.get 0 table.grow 1)))");
    Instance& instance = store.instantiate(module, Imports{});
    EXPECT_EQ(call_ok(store, instance, "grow1", {Value{7u}}).at(0).i32, UINT32_MAX);
    EXPECT_EQ(call_ok(store, instance, "grow1", {Value{5u}}).at(0).i32, 0u);
    EXPECT_EQ(call_ok(store, instance, "grow0", {Value{2u}}).at(0).i32, UINT32_MAX);
    EXPECT_EQ(call_ok(store, instance, "grow0", {Value{1u}}).at(0).i32, 4u);
    expect_error<Error>(
        [&] {
            store.add_table(TableType{ValType::funcref, Limits{1, {}}});
        },
        "table of 1 elements exceeds the limit of 10 elements for all tables "
        "(0 left)");
}

TEST_F(Embedding, TableGrowRespectsTypeMaximum) {
    Store store;
    int marker = 0;
    TableInstance& table = store.add_table(TableType{ValType::externref, Limits{1, 3}}, &marker);
    EXPECT_EQ(table.elements.at(0), &marker);
    EXPECT_EQ(table.grow(3, nullptr), UINT32_MAX);
    EXPECT_EQ(table.grow(2, &marker), 1u);
    EXPECT_EQ(table.size(), 3u);
    EXPECT_EQ(table.elements.at(2), &marker);
    EXPECT_EQ(table.grow(1, nullptr), UINT32_MAX);
    EXPECT_EQ(table.grow(0, nullptr), 3u);
    EXPECT_EQ(table.current_type().limits.min, 3u);
    EXPECT_EQ(table.current_type().limits.max, std::optional<uint32_t>(3));
}

// --- interrupts ---

TEST_F(Embedding, InterruptFromAnotherThreadStopsAnInfiniteLoop) {
    auto module = parse(R"((module
        (func (export "spin") (loop br 0))
        (func (export "answer") (result i32) i32.const 42)))");
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    std::thread interrupter([&] {
        std::this_thread::sleep_for(50ms);
        store.request_interrupt();
    });
    EXPECT_EQ(call_trap(store, instance, "spin", {}), TrapKind::interrupted);
    interrupter.join();
    store.clear_interrupt();
    EXPECT_EQ(call_ok(store, instance, "answer", {}).at(0).i32, 42u);
}

// --- misc ---

TEST_F(Embedding, EqualTypesShareCanonicalIds) {
    Store store;
    const uint32_t a = store.type_id(i32_to_i32);
    const uint32_t b = store.type_id(nothing_to_nothing);
    EXPECT_NE(a, b);
    EXPECT_EQ(store.type_id(FuncType{{ValType::i32}, {ValType::i32}}), a);
    EXPECT_EQ(store.type_of(a), i32_to_i32);
    auto module = parse(R"((module
        (type (func (param i32) (result i32)))
        (func (export "f") (type 0) local.get 0)))");
    Instance& instance = store.instantiate(module, Imports{});
    EXPECT_EQ(instance.type_ids.at(0), a);
    EXPECT_EQ(instance.find_function("f")->type_id, a);
}

TEST_F(Embedding, ManyInstancesOfOneModuleAreIndependent) {
    // Speed is measured in bench/, not here: this checks that instances share the compiled
    // module but not their state.
    auto module = parse(R"((module
        (memory (export "memory") 1)
        (global $g (mut i32) (i32.const 0))
        (data (i32.const 16) "hello")
        (func (export "bump") (result i32)
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (i32.store8 (i32.const 16) (i32.const 72))
            (global.get $g))))");
    Store store;
    std::vector<Instance*> instances;
    for (int i = 0; i < 200; ++i)
        instances.push_back(&store.instantiate(module, Imports{}));
    EXPECT_EQ(call_ok(store, *instances[7], "bump", {}).at(0).i32, 1u);
    EXPECT_EQ(call_ok(store, *instances[7], "bump", {}).at(0).i32, 2u);
    EXPECT_EQ(call_ok(store, *instances[8], "bump", {}).at(0).i32, 1u);
    EXPECT_EQ(instances[7]->memory()->data[16], 'H');
    EXPECT_EQ(instances[9]->memory()->data[16], 'h');
    EXPECT_EQ(instances[7]->module.get(), instances[9]->module.get());
}

} // namespace
} // namespace wbpf::wasm
