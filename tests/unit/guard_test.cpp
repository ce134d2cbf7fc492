// Out-of-bounds loads and stores (guard-page bounds checks in Release builds on x86-64, explicit
// comparisons elsewhere: the results must be the same), traps in guest code called back from a
// host function, and faults that are not the guest's still killing the process.
// Modules are assembled with wabt's wat2wasm at test time (skipped if it is not installed).

#include "wasm/interpreter.hpp"
#include "wasm/wasm.hpp"
#include "wat.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace wbpf::wasm {
namespace {

using test::assemble;
using test::have_wat2wasm;

// One page of memory; loads and stores of every width at a dynamic address, fused forms
// (address + constant, a load feeding a store, constant stores), and a call chain.
constexpr const char* memory_wat = R"((module
    (import "env" "callback" (func $callback (param i32) (result i32)))
    (import "env" "host_poke" (func $host_poke (param i32)))
    (memory (export "mem") 1)
    (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
    (func (export "load32") (param i32) (result i32) local.get 0 i32.load)
    (func (export "load64") (param i32) (result i64) local.get 0 i64.load)
    (func (export "load32_offset") (param i32) (result i32) local.get 0 i32.load offset=65532)
    (func (export "load32_max") (param i32) (result i32) local.get 0 i32.load offset=0xffffffff)
    (func (export "load32_plus") (param i32) (result i32)
        local.get 0 i32.const 4 i32.add i32.load)
    (func (export "store64") (param i32)
        local.get 0 i64.const 0x0102030405060708 i64.store)
    (func (export "store32") (param i32) (param i32)
        local.get 0 local.get 1 i32.store)
    (func (export "move64") (param i32) (param i32)
        local.get 1 local.get 0 i64.load i64.store)
    (func (export "f64_add_mem") (param i32) (result f64)
        f64.const 1 local.get 0 f64.load f64.add)
    ;; depth: caller -> middle -> load32, so the backtrace has three frames
    (func $middle (param i32) (result i32) local.get 0 i32.load)
    (func (export "chain") (param i32) (result i32) local.get 0 call $middle)
    ;; guest -> host -> guest ("inner_*"), as a ring-buffer callback
    (func (export "outer") (param i32) (result i32) local.get 0 call $callback)
    (func (export "outer_then_oob") (param i32) (result i32)
        local.get 0 call $callback drop i32.const -1 i32.load)
    (func (export "inner_oob") (param i32) (result i32) local.get 0 i32.load)
    (func (export "inner_ok") (param i32) (result i32) i32.const 42)
    (func (export "poke") (param i32) local.get 0 call $host_poke)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
))";

/// What the host callback calls back into, and what it does with a trap.
struct CallbackState {
    std::string target = "inner_oob";
    bool swallow_trap = false;
    ExecResult last;
};

TrapKind callback(HostCall& call, const Value* args, Value* results) {
    auto* state = static_cast<CallbackState*>(call.context);
    FunctionInstance* inner = call.caller->find_function(state->target);
    if (!inner) return TrapKind::host_error;
    std::vector<Value> inner_results;
    state->last = call.store.call(*inner, std::span(args, 1), inner_results);
    if (!state->last.ok()) {
        if (!state->swallow_trap) return state->last.trap;
        results[0] = Value{0u};
        return TrapKind::none;
    }
    results[0] = inner_results.at(0);
    return TrapKind::none;
}

/// A host function that (wrongly) writes guest memory without checking bounds.
TrapKind host_poke(HostCall& call, const Value* args, Value*) {
    MemoryInstance* memory = call.memory();
    volatile uint8_t* p = memory->data + args[0].i32;
    *p = 1;
    return TrapKind::none;
}

const FuncType i32_to_i32{{ValType::i32}, {ValType::i32}};
const FuncType i32_to_nothing{{ValType::i32}, {}};

class Guard : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_wat2wasm()) GTEST_SKIP() << "wat2wasm not installed";
        module_ = parse_module(assemble(memory_wat));
        Imports imports;
        imports.add("env", "callback",
                    Extern::of(store_.add_host_function(i32_to_i32, callback, &state_)));
        imports.add("env", "host_poke",
                    Extern::of(store_.add_host_function(i32_to_nothing, host_poke)));
        instance_ = &store_.instantiate(module_, imports);
        memory_ = instance_->find_memory("mem");
    }

    ExecResult call(std::string_view name, std::vector<Value> args) {
        FunctionInstance* f = instance_->find_function(name);
        EXPECT_NE(f, nullptr) << name;
        results_.clear();
        return store_.call(*f, args, results_);
    }
    TrapKind trap(std::string_view name, std::vector<Value> args) {
        return call(name, std::move(args)).trap;
    }

    std::shared_ptr<const Module> module_;
    Store store_;
    CallbackState state_;
    Instance* instance_ = nullptr;
    MemoryInstance* memory_ = nullptr;
    std::vector<Value> results_;
};

constexpr TrapKind oob = TrapKind::out_of_bounds_memory;

TEST_F(Guard, AccessesAtTheMemoryEndTrap) {
    EXPECT_TRUE(call("load8", {Value{65535u}}).ok());
    EXPECT_EQ(trap("load8", {Value{65536u}}), oob);
    EXPECT_TRUE(call("load32", {Value{65532u}}).ok());
    EXPECT_EQ(trap("load32", {Value{65533u}}), oob);
    EXPECT_EQ(trap("load32", {Value{0xffffffffu}}), oob);
    EXPECT_TRUE(call("load64", {Value{65528u}}).ok());
    EXPECT_EQ(trap("load64", {Value{65529u}}), oob);
    EXPECT_TRUE(call("load32_offset", {Value{0u}}).ok());
    EXPECT_EQ(trap("load32_offset", {Value{1u}}), oob);
    EXPECT_EQ(trap("load32_max", {Value{0u}}), oob);
    EXPECT_EQ(trap("load32_max", {Value{0xffffffffu}}), oob); // the farthest address there is
    EXPECT_EQ(trap("load32_plus", {Value{65530u}}), oob);
}

TEST_F(Guard, AddressPlusConstantWrapsAt32Bits) {
    // i32.add wraps: 0xfffffffc + 4 == 0, an in-bounds address.
    EXPECT_TRUE(call("load32_plus", {Value{0xfffffffcu}}).ok());
}

TEST_F(Guard, StraddlingStoresTrapAndWriteNothing) {
    std::memset(memory_->data + 65528, 0xaa, 8);
    EXPECT_EQ(trap("store64", {Value{65532u}}), oob);
    for (int i = 65528; i < 65536; ++i)
        EXPECT_EQ(memory_->data[i], 0xaa) << i;
    EXPECT_EQ(trap("store32", {Value{65534u}, Value{0u}}), oob);
    for (int i = 65528; i < 65536; ++i)
        EXPECT_EQ(memory_->data[i], 0xaa) << i;
    // move64: source in bounds, destination straddles the end.
    EXPECT_EQ(trap("move64", {Value{0u}, Value{65533u}}), oob);
    for (int i = 65528; i < 65536; ++i)
        EXPECT_EQ(memory_->data[i], 0xaa) << i;
    EXPECT_EQ(trap("move64", {Value{65530u}, Value{0u}}), oob);
    EXPECT_EQ(trap("f64_add_mem", {Value{65532u}}), oob);
    EXPECT_TRUE(call("store64", {Value{65528u}}).ok());
    EXPECT_EQ(memory_->data[65535], 0x01);
}

TEST_F(Guard, GrownMemoryIsAccessibleAndItsNewEndTraps) {
    EXPECT_EQ(trap("load32", {Value{70000u}}), oob);
    ASSERT_TRUE(call("grow", {Value{1u}}).ok());
    EXPECT_EQ(results_.at(0).i32, 1u);
    EXPECT_TRUE(call("load32", {Value{70000u}}).ok());
    EXPECT_EQ(trap("load32", {Value{131069u}}), oob);
}

TEST_F(Guard, TrapKeepsTheBacktraceAndTheStoreStaysUsable) {
    ExecResult r = call("chain", {Value{65536u}});
    EXPECT_EQ(r.trap, oob);
    ASSERT_EQ(r.backtrace.size(), 2u);
    // Innermost first: $middle, then "chain".
    EXPECT_EQ(r.backtrace[0].instance, instance_);
    EXPECT_EQ(r.backtrace[1].instance, instance_);
    EXPECT_NE(r.backtrace[0].function_index, r.backtrace[1].function_index);
    for (uint32_t i = 0; i < 1000; ++i) {
        ASSERT_EQ(trap("load32", {Value{65536u + i}}), oob);
        ASSERT_TRUE(call("load32", {Value{i}}).ok());
    }
}

TEST_F(Guard, OutOfBoundsInAGuestCalledBackFromTheHostPropagates) {
    ExecResult r = call("outer", {Value{65536u}});
    EXPECT_EQ(r.trap, oob);
    EXPECT_EQ(state_.last.trap, oob);
    EXPECT_EQ(state_.last.backtrace.size(), 1u);
    // host frame + "outer"
    EXPECT_GE(r.backtrace.size(), 2u);
    state_.target = "inner_ok";
    EXPECT_TRUE(call("outer", {Value{0u}}).ok());
    EXPECT_EQ(results_.at(0).i32, 42u);
}

TEST_F(Guard, OuterGuestStillTrapsAfterANestedTrapWasHandled) {
    // The host swallows the nested trap; the outer activation then faults itself.
    state_.swallow_trap = true;
    ExecResult r = call("outer_then_oob", {Value{65536u}});
    EXPECT_EQ(state_.last.trap, oob);
    EXPECT_EQ(r.trap, oob);
    ASSERT_EQ(r.backtrace.size(), 1u);
    EXPECT_EQ(r.backtrace[0].instance, instance_);
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(trap("outer_then_oob", {Value{70000u}}), oob);
}

using GuardDeathTest = Guard;

// Under a sanitizer the engine compares instead (no handler of ours) and the sanitizer's own
// SIGSEGV handler reports and exits: the death by signal these tests expect is not the contract.
#define SKIP_WITHOUT_GUARD_PAGES()                                                                 \
    if (!guard_page_bounds_checks())                                                               \
    GTEST_SKIP() << "this build checks bounds explicitly: no fault handler to test"

TEST_F(GuardDeathTest, FaultOutsideGuestMemoryStillKills) {
    SKIP_WITHOUT_GUARD_PAGES();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // Run guest code first so that the fault handler (if any) is installed.
    ASSERT_EQ(trap("load32", {Value{65536u}}), oob);
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(page, MAP_FAILED);
    volatile uint8_t* p = static_cast<uint8_t*>(page);
    EXPECT_EXIT(*p = 1, ::testing::KilledBySignal(SIGSEGV), "");
    EXPECT_EXIT(raise(SIGSEGV), ::testing::KilledBySignal(SIGSEGV), "");
    EXPECT_EXIT(raise(SIGBUS), ::testing::KilledBySignal(SIGBUS), "");
    munmap(page, 4096);
}

TEST_F(GuardDeathTest, HostFunctionFaultOnGuestMemoryStillKills) {
    SKIP_WITHOUT_GUARD_PAGES();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    ASSERT_EQ(trap("load32", {Value{65536u}}), oob);
    ASSERT_TRUE(call("poke", {Value{16u}}).ok());
    // The host writes beyond the memory's size: a host bug, not a guest trap.
    EXPECT_EXIT(call("poke", {Value{65536u + 16}}), ::testing::KilledBySignal(SIGSEGV), "");
}

} // namespace
} // namespace wbpf::wasm
