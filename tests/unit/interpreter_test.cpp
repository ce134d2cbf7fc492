// The compiler's translation tricks (operand aliasing, destination retargeting, fused
// compare-and-branch, constant operands, branch copies) and the interpreter's limits (deep
// nesting, stack exhaustion, locals zeroing). Modules are assembled with wabt's wat2wasm at test
// time (skipped if it is not installed), except the huge generated ones.

#include "wasm/wasm.hpp"
#include "wat.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace wbpf::wasm {
namespace {

using test::assemble;
using test::have_wat2wasm;

void leb(std::vector<uint8_t>& out, uint64_t v) {
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out.push_back(v ? (b | 0x80) : b);
    } while (v);
}

/// A module with one type `() -> i32` and one exported function "f" with `body`
/// (locals vector included).
std::vector<uint8_t> single_function_module(const std::vector<uint8_t>& body) {
    std::vector<uint8_t> m = {0, 'a', 's', 'm', 1, 0, 0, 0};
    auto section = [&](uint8_t id, const std::vector<uint8_t>& content) {
        m.push_back(id);
        leb(m, content.size());
        m.insert(m.end(), content.begin(), content.end());
    };
    section(1, {1, 0x60, 0, 1, 0x7f});
    section(3, {1, 0});
    section(7, {1, 1, 'f', 0, 0});
    std::vector<uint8_t> code = {1};
    leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
    section(10, code);
    return m;
}

class Interpreter : public ::testing::Test {
protected:
    void load(const std::string& text) {
        if (!have_wat2wasm()) GTEST_SKIP() << "wat2wasm not installed";
        instance_ = &store_.instantiate(parse_module(assemble(text)), imports_);
    }
    ExecResult call(const char* name, std::vector<Value> args, std::vector<Value>& results) {
        FunctionInstance* f = instance_->find_function(name);
        EXPECT_NE(f, nullptr) << name;
        return store_.call(*f, args, results);
    }
    uint64_t call1(const char* name, std::vector<Value> args = {}) {
        std::vector<Value> results;
        ExecResult r = call(name, std::move(args), results);
        EXPECT_TRUE(r.ok()) << name << ": " << trap_message(r.trap);
        return results.empty() ? ~uint64_t{0} : results[0].i64;
    }

    Store store_;
    Imports imports_;
    Instance* instance_ = nullptr;
};

TEST_F(Interpreter, PendingLocalReadSurvivesAWriteToTheLocal) {
    load(R"((module
      (func (export "f") (param i32) (result i32)
        local.get 0 i32.const 5 local.set 0 local.get 0 i32.add)
      (func (export "g") (param i32) (result i32)
        local.get 0 local.get 0 i32.const 1 i32.add local.set 0 local.get 0 i32.add)
      (func (export "h") (param i32) (result i32) (local i32)
        local.get 0 local.get 1 local.set 0 local.get 0 i32.sub)))");
    EXPECT_EQ(call1("f", {Value(uint32_t{10})}) & 0xffffffff, 15u);
    EXPECT_EQ(call1("g", {Value(uint32_t{10})}) & 0xffffffff, 21u);
    EXPECT_EQ(call1("h", {Value(uint32_t{10})}) & 0xffffffff, 10u);
}

TEST_F(Interpreter, ReturnedLocalsMayBeSwapped) {
    load(R"((module
      (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
      (func (export "rot") (param i64 i64 i64) (result i64 i64 i64)
        local.get 2 local.get 0 local.get 1)))");
    std::vector<Value> r;
    ASSERT_TRUE(call("swap", {Value(uint32_t{1}), Value(uint32_t{2})}, r).ok());
    EXPECT_EQ(r[0].i32, 2u);
    EXPECT_EQ(r[1].i32, 1u);
    ASSERT_TRUE(call("rot", {Value(uint64_t{1}), Value(uint64_t{2}), Value(uint64_t{3})}, r).ok());
    EXPECT_EQ(r[0].i64, 3u);
    EXPECT_EQ(r[1].i64, 1u);
    EXPECT_EQ(r[2].i64, 2u);
}

TEST_F(Interpreter, TeeAndRetargetedDestinations) {
    load(R"((module
      (func (export "f") (param i32) (result i32) (local i32)
        (i32.mul (local.tee 1 (i32.add (local.get 0) (i32.const 1))) (local.get 1)))
      (func (export "g") (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 3))
        (local.set 0 (i32.add (local.get 0) (local.get 1)))
        (local.set 1 (i32.mul (local.get 0) (local.get 0)))
        (i32.sub (local.get 1) (local.get 0)))
      (func (export "h") (param i64) (result i64) (local i64)
        (local.set 1 (i64.add (local.get 0) (i64.const 0x123456789)))
        (local.get 1))))");
    EXPECT_EQ(call1("f", {Value(uint32_t{4})}) & 0xffffffff, 25u);
    EXPECT_EQ(call1("g", {Value(uint32_t{2})}) & 0xffffffff, 20u);
    EXPECT_EQ(call1("h", {Value(uint64_t{1})}), 0x12345678au);
}

TEST_F(Interpreter, FusedCompareBranchesAndConstantOperands) {
    load(R"((module
      (func (export "clamp") (param i32) (result i32)
        (block (result i32)
          (br_if 0 (i32.const 7) (i32.lt_s (local.get 0) (i32.const 10)))
          drop (i32.const 8)))
      (func (export "left") (param i32) (result i32)
        (if (result i32) (i32.lt_s (i32.const 5) (local.get 0))
          (then (i32.const 1)) (else (i32.const 0))))
      (func (export "sum") (param i32) (result i32) (local i32 i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (local.get 2)))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 2) (local.get 0))))
        (local.get 1))
      (func (export "eqz64") (param i64) (result i32)
        (block (br_if 0 (i64.eqz (local.get 0))) (return (i32.const 1))) (i32.const 0))
      (func (export "sel") (param i32) (result i64)
        (select (i64.const 0x100000000) (i64.const -1) (local.get 0)))))");
    EXPECT_EQ(call1("clamp", {Value(uint32_t{3})}) & 0xffffffff, 7u);
    EXPECT_EQ(call1("clamp", {Value(uint32_t{30})}) & 0xffffffff, 8u);
    EXPECT_EQ(call1("clamp", {Value(int32_t{-30})}) & 0xffffffff, 7u);
    EXPECT_EQ(call1("left", {Value(uint32_t{6})}) & 0xffffffff, 1u);
    EXPECT_EQ(call1("left", {Value(uint32_t{5})}) & 0xffffffff, 0u);
    EXPECT_EQ(call1("sum", {Value(uint32_t{100})}) & 0xffffffff, 4950u);
    EXPECT_EQ(call1("eqz64", {Value(uint64_t{0})}) & 0xffffffff, 0u);
    EXPECT_EQ(call1("eqz64", {Value(uint64_t{1} << 40)}) & 0xffffffff, 1u);
    EXPECT_EQ(call1("sel", {Value(uint32_t{1})}), 0x100000000u);
    EXPECT_EQ(call1("sel", {Value(uint32_t{0})}), ~uint64_t{0});
}

TEST_F(Interpreter, BranchTablesAndLoopsCarryValues) {
    load(R"((module
      (func (export "bt") (param i32) (result i32)
        (block (result i32)
          (block (result i32)
            (block (result i32)
              (br_table 0 1 2 (i32.const 10) (local.get 0)))
            (i32.const 1) i32.add)
          (i32.const 100) i32.add))
      (func (export "fib") (param i32) (result i64)
        (i64.const 0) (i64.const 1)
        (loop $l (param i64 i64) (result i64 i64)
          (if (param i64 i64) (result i64 i64) (local.get 0)
            (then (call $step) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l))))
        drop)
      (func $step (param i64 i64) (result i64 i64) (local.get 1) (i64.add (local.get 0) (local.get 1)))))");
    EXPECT_EQ(call1("bt", {Value(uint32_t{0})}) & 0xffffffff, 111u);
    EXPECT_EQ(call1("bt", {Value(uint32_t{1})}) & 0xffffffff, 110u);
    EXPECT_EQ(call1("bt", {Value(uint32_t{2})}) & 0xffffffff, 10u);
    EXPECT_EQ(call1("bt", {Value(uint32_t{99})}) & 0xffffffff, 10u);
    EXPECT_EQ(call1("fib", {Value(uint32_t{90})}), 2880067194370816120u);
}

TEST_F(Interpreter, LocalsAreZeroedOnEveryCall) {
    load(R"((module
      (func $r (export "r") (param i32) (result i32) (local i32)
        (if (local.get 1) (then unreachable))
        (local.set 1 (i32.const 1))
        (if (result i32) (local.get 0)
          (then (call $r (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 42))))))");
    EXPECT_EQ(call1("r", {Value(uint32_t{1000})}) & 0xffffffff, 42u);
}

TEST_F(Interpreter, InfiniteRecursionExhaustsTheCallStack) {
    load(R"((module
      (func $inf (export "inf") (result i32) (i32.add (call $inf) (i32.const 1)))
      (func $big (export "big") (param i32) (result i32)
        (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (call $big (i32.add (local.get 0) (i32.const 1))))
      (func (export "ok") (result i32) (i32.const 5))))");
    std::vector<Value> r;
    ExecResult res = call("inf", {}, r);
    EXPECT_EQ(res.trap, TrapKind::call_stack_exhausted);
    // Only the innermost frames are recorded; the rest are counted: the entry call and
    // max_call_depth (default 50,000) nested ones.
    EXPECT_EQ(res.backtrace.size(), ExecResult::max_backtrace_frames);
    EXPECT_EQ(res.backtrace.size() + res.omitted_frames, StoreOptions{}.max_call_depth + 1u);
    for (const TrapFrame& f : res.backtrace)
        EXPECT_EQ(f.function_index, 0u);
    res = call("big", {Value(uint32_t{0})}, r);
    EXPECT_EQ(res.trap, TrapKind::call_stack_exhausted);
    EXPECT_EQ(call1("ok") & 0xffffffff, 5u); // the store stays usable
}

TEST(InterpreterLimits, HundredThousandNestedBlocksValidateAndRun) {
    constexpr int depth = 100000;
    std::vector<uint8_t> body = {0}; // no locals
    for (int i = 0; i < depth; ++i) {
        body.push_back(0x02); // block (result i32)
        body.push_back(0x7f);
    }
    body.push_back(0x41); // i32.const 7
    body.push_back(7);
    body.push_back(0x0c); // br to the outermost block
    leb(body, depth - 1);
    for (int i = 0; i <= depth; ++i)
        body.push_back(0x0b);
    Store store;
    Instance& instance = store.instantiate(parse_module(single_function_module(body)), {});
    std::vector<Value> results;
    ASSERT_TRUE(store.call(*instance.find_function("f"), {}, results).ok());
    EXPECT_EQ(results[0].i32, 7u);
}

TEST(InterpreterLimits, TrailingBytesAfterTheLastEndAreMalformed) {
    EXPECT_THROW(parse_module(single_function_module({0, 0x41, 1, 0x0b, 0x01})), MalformedError);
    EXPECT_THROW(parse_module(single_function_module({0, 0x41, 1})), MalformedError);
    EXPECT_THROW(parse_module(single_function_module({0, 0xfd, 0x0c, 0x0b})), UnsupportedError);
}

} // namespace
} // namespace wbpf::wasm
