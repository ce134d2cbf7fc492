// The JIT (src/wasm/jit.cpp) against the interpreter: native code is made where it should be,
// computes exactly what the interpreter computes, traps with the same kind and backtrace, and
// stops on an interrupt. Every module runs twice: ParseOptions::jit eager and off.
#include "wasm/jit.hpp"
#include "wasm/wasm.hpp"
#include "wat.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace wbpf::wasm {
namespace {

using namespace std::chrono_literals;
using test::assemble;
using test::have_wat2wasm;

// Integer work of every kind the JIT translates, in loops, mixed with what it leaves to the
// interpreter (calls, f64 arithmetic, memory.grow), over memory 0 and a mutable global.
const char* const mixed_wat = R"((module
  (memory (export "mem") 1)
  (global $counter (mut i64) (i64.const 0))
  (func $mix (param $x i32) (result i32)
    (i32.xor (i32.rotl (local.get $x) (i32.const 7)) (i32.const 0x9e3779b9)))
  ;; Fills memory [0, n) with a hash stream, then folds it back with loads of every width.
  (func (export "churn") (param $n i32) (result i64)
    (local $i i32) (local $h i32) (local $acc i64) (local $f f64)
    (local.set $h (i32.const 1))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (call $mix (i32.add (local.get $h) (local.get $i))))
        (i32.store8 (local.get $i) (local.get $h))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (loop $fold
      (local.set $acc (i64.add (i64.rotl (local.get $acc) (i64.const 5))
        (i64.xor (i64.load32_s offset=1 (local.get $i)) (i64.load16_u (local.get $i)))))
      (local.set $acc (i64.sub (local.get $acc)
        (i64.extend_i32_s (i32.div_s (i32.load8_s (local.get $i)) (i32.const -3)))))
      (local.set $f (f64.add (local.get $f) (f64.convert_i64_s (local.get $acc))))
      (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
      (br_if $fold (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 3)))
                             (i32.sub (local.get $n) (i32.const 8)))))
    (i64.add (i64.add (local.get $acc) (global.get $counter))
             (i64.trunc_f64_s (f64.div (local.get $f) (f64.const 1e12)))))
  ;; Divides by (9 - i) for i = 0, 1, ...: traps with "integer divide by zero" at i = 9,
  ;; two calls deep.
  (func $inner (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.div_u (i32.const 100) (i32.sub (i32.const 9) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $middle (param $n i32) (result i32) (i32.add (call $inner (local.get $n)) (i32.const 1)))
  (func (export "divide") (param $n i32) (result i32) (call $middle (local.get $n)))
  ;; Stores one past the end of memory after `n` in-bounds stores.
  (func (export "overrun") (param $n i32) (local $p i32)
    (local.set $p (i32.sub (i32.const 65536) (i32.mul (local.get $n) (i32.const 4))))
    (loop $l
      (i32.store (local.get $p) (local.get $p))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.le_u (local.get $p) (i32.const 65536)))))
  ;; Counts until interrupted.
  (func (export "spin") (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (local.get $i))
  ;; Loads at `p` two calls deep, the inner call through a table (call_indirect).
  (type $load_type (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 1) $load)
  (func $load (param $p i32) (result i32) (i32.load (local.get $p)))
  (func $load_middle (param $p i32) (result i32)
    (i32.add (call_indirect (type $load_type) (local.get $p) (i32.const 1)) (i32.const 1)))
  (func (export "load") (param $p i32) (result i32) (call $load_middle (local.get $p))))
)";

/// The reference: `churn` run interpreted only, once per element of `sizes` in one instance
/// (its global counter carries over); the results in order, and memory 0 at the end.
struct Reference {
    std::vector<uint64_t> results;
    std::vector<uint8_t> memory;
};
Reference interpreted_churn(const std::vector<uint32_t>& sizes) {
    ParseOptions interpreted;
    interpreted.jit = JitMode::off;
    Store store;
    Instance& instance =
        store.instantiate(parse_module(assemble(mixed_wat), interpreted), Imports{});
    Reference reference;
    std::vector<Value> results;
    for (uint32_t n : sizes) {
        const std::vector<Value> args{Value{n}};
        EXPECT_TRUE(store.call(*instance.find_function("churn"), args, results).ok());
        reference.results.push_back(results.at(0).i64);
    }
    const MemoryInstance& memory = *instance.find_memory("mem");
    reference.memory.assign(memory.data, memory.data + memory.size);
    return reference;
}

/// The function index of each frame of a trap's backtrace, innermost first.
std::vector<uint32_t> function_indices(const ExecResult& r) {
    std::vector<uint32_t> indices;
    for (const TrapFrame& f : r.backtrace)
        indices.push_back(f.function_index);
    return indices;
}

class Jit : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        if (!have_wat2wasm()) GTEST_SKIP() << "wat2wasm not installed";
        ParseOptions options;
        options.jit = GetParam() ? JitMode::eager : JitMode::off;
        module_ = parse_module(assemble(mixed_wat), options);
        instance_ = &store_.instantiate(module_, Imports{});
    }

    ExecResult call(std::string_view name, std::vector<Value> args) {
        FunctionInstance* f = instance_->find_function(name);
        EXPECT_NE(f, nullptr) << name;
        results_.clear();
        return store_.call(*f, args, results_);
    }

    std::shared_ptr<const Module> module_;
    Store store_;
    Instance* instance_ = nullptr;
    std::vector<Value> results_;
};

TEST_P(Jit, NativeCodeIsMadeOnlyWhenAskedAndAvailable) {
    EXPECT_EQ(module_->native != nullptr, GetParam() && jit_mode(JitMode::eager) == JitMode::eager);
    if (GetParam() && !jit_available()) GTEST_SKIP() << "no JIT on this platform (or WBPF_JIT=0)";
}

TEST_P(Jit, ComputesExactlyWhatTheInterpreterComputes) {
    // The expected value is the interpreter's (JitMode::off), fixed here so that both
    // parameterisations must produce it.
    // Twice: the global counter carries over, so the second result differs by its step.
    std::vector<uint64_t> mine;
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(call("churn", {Value{20000u}}).ok());
        mine.push_back(results_.at(0).i64);
    }
    const Reference expected = interpreted_churn({20000u, 20000u});
    EXPECT_EQ(mine, expected.results);
    const MemoryInstance& memory = *instance_->find_memory("mem");
    ASSERT_EQ(memory.size, expected.memory.size());
    EXPECT_EQ(0, std::memcmp(memory.data, expected.memory.data(), memory.size));
}

TEST_P(Jit, DivisionTrapKeepsKindAndBacktrace) {
    ASSERT_TRUE(call("divide", {Value{9u}}).ok());
    EXPECT_EQ(results_.at(0).i32, 100u / 9 + 100u / 8 + 100u / 7 + 100u / 6 + 100u / 5 + 100u / 4 +
                                      100u / 3 + 100u / 2 + 100u / 1 + 1);
    const ExecResult r = call("divide", {Value{10u}});
    EXPECT_EQ(r.trap, TrapKind::integer_divide_by_zero);
    // Defined functions in order: $mix 0, churn 1, $inner 2, $middle 3, divide 4.
    EXPECT_EQ(function_indices(r), (std::vector<uint32_t>{2, 3, 4}));
}

TEST_P(Jit, MemoryFaultKeepsTheBacktraceThroughAnIndirectCall) {
    ASSERT_TRUE(call("load", {Value{65532u}}).ok());
    EXPECT_EQ(results_.at(0).i32, 1u);
    const ExecResult r = call("load", {Value{65533u}});
    EXPECT_EQ(r.trap, TrapKind::out_of_bounds_memory);
    // Defined functions after spin (6): $load 7, $load_middle 8, load 9.
    EXPECT_EQ(function_indices(r), (std::vector<uint32_t>{7, 8, 9}));
}

TEST_P(Jit, OutOfBoundsStoreTrapsAfterTheStoresBeforeIt) {
    MemoryInstance* mem = instance_->find_memory("mem");
    EXPECT_EQ(call("overrun", {Value{4u}}).trap, TrapKind::out_of_bounds_memory);
    for (uint32_t p = 65536 - 16; p < 65536; p += 4) {
        uint32_t v = 0;
        std::memcpy(&v, mem->data + p, 4);
        EXPECT_EQ(v, p);
    }
    // The store stays usable after the trap.
    ASSERT_TRUE(call("divide", {Value{1u}}).ok());
}

TEST_P(Jit, InterruptStopsALoopAndTheStoreRunsOn) {
    std::thread interrupter([&] {
        std::this_thread::sleep_for(50ms);
        store_.request_interrupt();
    });
    EXPECT_EQ(call("spin", {}).trap, TrapKind::interrupted);
    interrupter.join();
    store_.clear_interrupt();
    ASSERT_TRUE(call("divide", {Value{1u}}).ok());
    EXPECT_EQ(results_.at(0).i32, 100u / 9 + 1);
}

// The default mode: nothing is translated at load; a loop running long enough makes the
// module native mid-call, and the result is the same.
TEST(JitWhenHot, ModuleBecomesNativeOnceAnInstanceIsHot) {
    if (!have_wat2wasm()) GTEST_SKIP() << "wat2wasm not installed";
    if (jit_mode(JitMode::when_hot) != JitMode::when_hot) GTEST_SKIP() << "JIT off here";
    auto module = parse_module(assemble(mixed_wat));
    EXPECT_EQ(module->native, nullptr);
    Store store;
    Instance& instance = store.instantiate(module, Imports{});
    std::vector<Value> results;
    const std::vector<Value> few{Value{30u}};
    ASSERT_TRUE(store.call(*instance.find_function("churn"), few, results).ok());
    EXPECT_EQ(module->native, nullptr) << "30 iterations are not hot";
    const std::vector<Value> many{Value{60000u}};
    ASSERT_TRUE(store.call(*instance.find_function("churn"), many, results).ok());
    EXPECT_NE(module->native, nullptr);
    EXPECT_EQ(results.at(0).i64, interpreted_churn({30u, 60000u}).results.at(1));
}

INSTANTIATE_TEST_SUITE_P(NativeAndInterpreted, Jit, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                             return p.param ? "native" : "interpreted";
                         });

} // namespace
} // namespace wbpf::wasm
