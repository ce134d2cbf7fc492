// Hostile and pathological modules: each must end in a clear load-time error or the right trap,
// and the process (and the Store) must survive. Modules are built byte by byte with the
// test-only ModuleBuilder, so sizes and nesting are exact and no external tool is needed.

#include "module_builder.hpp"
#include "wasm/wasm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace wbpf::wasm {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::code;
using test::ModuleBuilder;
namespace op = test::op;

/// Calls export `name` with no arguments; returns the trap kind (none on success).
TrapKind call_export(Store& store, Instance& instance, std::string_view name,
                     std::vector<Value>* results_out = nullptr) {
    FunctionInstance* f = instance.find_function(name);
    if (!f) throw std::runtime_error("no export " + std::string(name));
    std::vector<Value> results;
    const TrapKind trap = store.call(*f, {}, results).trap;
    if (results_out) *results_out = results;
    return trap;
}

/// Runs `f`, which must throw exactly E; returns the message.
template <typename E, typename F>
std::string expect_throw(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no exception";
    return {};
}

// ---------------------------------------------------------------------------------------------
// Load-time errors

TEST(Robustness, SimdInstructionIsUnsupported) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.function(t, code(op::v128_const_zero(), op::drop));
    const Bytes bytes = m.build();
    const std::string message = expect_throw<UnsupportedError>([&] { parse_module(bytes); });
    EXPECT_NE(message.find("SIMD is not supported yet"), std::string::npos) << message;
}

TEST(Robustness, SimdValueTypeIsUnsupported) {
    ModuleBuilder m;
    const uint32_t t = m.type({op::v128}, {});
    m.function(t, {});
    const Bytes bytes = m.build();
    const std::string message = expect_throw<UnsupportedError>([&] { parse_module(bytes); });
    EXPECT_NE(message.find("SIMD is not supported yet"), std::string::npos) << message;
}

TEST(Robustness, SimdLocalIsUnsupported) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.function(t, {}, {{1, op::v128}});
    const Bytes bytes = m.build();
    const std::string message = expect_throw<UnsupportedError>([&] { parse_module(bytes); });
    EXPECT_NE(message.find("SIMD is not supported yet"), std::string::npos) << message;
}

/// A module using every section kind, for truncation.
Bytes every_section_module(std::vector<size_t>& section_ends) {
    ModuleBuilder m;
    const uint32_t void_void = m.type({}, {});
    const uint32_t i32_i32 = m.type({op::i32}, {op::i32});
    const uint32_t print = m.import_function("env", "print", i32_i32);
    m.table(2, 10);
    m.memory(1, 2);
    m.global_i32(7);
    const uint32_t start = m.function(void_void, code(op::i32_const(1), op::call(print), op::drop));
    const uint32_t twice =
        m.function(i32_i32, code(op::local_get(0), op::local_get(0), uint8_t{0x6a} /* i32.add */));
    m.export_function("twice", twice);
    m.export_memory("memory");
    m.start(start);
    m.elements(0, {start, twice});
    m.data(16, "hello, truncation");
    m.custom("name", {0x00, 0x05, 0x04, 'm', 'o', 'd', 'l'});
    Bytes bytes = m.build();
    section_ends = m.section_ends();
    return bytes;
}

TEST(Robustness, EveryPrefixOfAModuleIsMalformed) {
    std::vector<size_t> section_ends;
    const Bytes full = every_section_module(section_ends);
    ASSERT_NO_THROW(parse_module(full)); // the module itself is fine
    for (size_t length = 0; length < full.size(); ++length) {
        const std::span<const uint8_t> prefix(full.data(), length);
        const bool at_section_end =
            std::find(section_ends.begin(), section_ends.end(), length) != section_ends.end();
        try {
            parse_module(prefix);
            // Only a cut between sections can leave a complete (smaller) module.
            EXPECT_TRUE(at_section_end) << "prefix of " << length << " bytes parsed";
        } catch (const MalformedError& e) {
            EXPECT_LE(e.offset(), length) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "prefix of " << length << " bytes: not MalformedError: " << e.what();
        }
    }
}

/// `size` bytes from a fixed seed (splitmix64: fast even in a Debug build).
Bytes random_bytes(size_t size, uint64_t seed) {
    Bytes bytes(size);
    for (size_t i = 0; i < size; i += 8) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        z ^= z >> 31;
        std::memcpy(bytes.data() + i, &z, std::min<size_t>(8, size - i));
    }
    return bytes;
}

constexpr size_t hundred_mb = 100u << 20;

// No time limits here (speed belongs to benchmarks): a decoder that scanned the whole input
// byte by byte, or worse, would show as a ctest timeout.
TEST(Robustness, HundredMegabytesOfRandomBytesAreRejected) {
    Bytes bytes = random_bytes(hundred_mb, 0x5eed);
    expect_throw<MalformedError>([&] { parse_module(bytes); });
    // Behind a valid header the decoder must still stop at the first bad section.
    const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    std::copy(std::begin(header), std::end(header), bytes.begin());
    for (uint8_t id : {uint8_t{1}, uint8_t{10}, uint8_t{0x0d}}) {
        bytes[8] = id;
        try {
            parse_module(bytes);
            ADD_FAILURE() << "random bytes parsed as a module";
        } catch (const Error& e) {
            EXPECT_FALSE(std::string(e.what()).empty());
        }
    }
}

TEST(Robustness, HundredMegabyteCustomSectionLoads) {
    // A huge custom section is legal: it must load without decoding its contents.
    Bytes bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00};
    const Bytes payload = random_bytes(hundred_mb, 42);
    test::put_uleb(bytes, payload.size() + 6);
    test::put_name(bytes, "junk.");
    test::append(bytes, payload);
    EXPECT_NO_THROW(parse_module(bytes));
}

TEST(Robustness, TooManyLocalsIsAClearError) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    // Two groups whose counts overflow a u32 when summed.
    m.function(t, {}, {{0xffffffffu, op::i64}, {0xffffffffu, op::i64}});
    const Bytes bytes = m.build();
    const std::string message = expect_throw<MalformedError>([&] { parse_module(bytes); });
    EXPECT_NE(message.find("too many locals"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Memory limits

TEST(Robustness, MemoryOfEveryPageInstantiatesOrFailsClearly) {
    ModuleBuilder m;
    m.memory(65536);
    const uint32_t t = m.type({}, {op::i32});
    // Store and reload the last aligned word of the 4 GiB memory.
    m.export_function("last_word",
                      m.function(t, code(op::i32_const(-4), op::i32_const(0x1234567),
                                         op::i32_store(), op::i32_const(-4), op::i32_load())));
    const auto module = parse_module(m.build());
    {
        Store store;
        try {
            Instance& instance = store.instantiate(module, {});
            EXPECT_EQ(instance.memory()->pages(), 65536u);
            std::vector<Value> results;
            ASSERT_EQ(call_export(store, instance, "last_word", &results), TrapKind::none);
            EXPECT_EQ(results.at(0).i32, 0x1234567u);
        } catch (const Error& e) {
            // Allowed (e.g. a host without the address space), but it must be a clear error.
            EXPECT_FALSE(std::string(e.what()).empty());
        }
    }
    StoreOptions small;
    small.max_memory_pages = 1024;
    Store store(small);
    const std::string message = expect_throw<Error>([&] { store.instantiate(module, {}); });
    EXPECT_NE(message.find("65536 pages exceeds the limit of 1024"), std::string::npos) << message;
}

TEST(Robustness, MemoryBeyondFourGigabytesIsInvalid) {
    ModuleBuilder m;
    m.memory(65537);
    const Bytes bytes = m.build();
    expect_throw<ValidationError>([&] { parse_module(bytes); });
}

TEST(Robustness, MemoryGrowRespectsTheStoreLimit) {
    ModuleBuilder m;
    m.memory(1);
    const uint32_t grow = m.type({op::i32}, {op::i32});
    m.export_function("grow", m.function(grow, code(op::local_get(0), op::memory_grow())));
    StoreOptions options;
    options.max_memory_pages = 16;
    Store store(options);
    Instance& instance = store.instantiate(parse_module(m.build()), {});
    FunctionInstance& f = *instance.find_function("grow");
    std::vector<Value> results;
    const Value too_much[] = {Value{uint32_t{65535}}};
    ASSERT_TRUE(store.call(f, too_much, results).ok());
    EXPECT_EQ(results.at(0).i32, uint32_t(-1));
    const Value up_to_limit[] = {Value{uint32_t{15}}};
    ASSERT_TRUE(store.call(f, up_to_limit, results).ok());
    EXPECT_EQ(results.at(0).i32, 1u);
    EXPECT_EQ(instance.memory()->pages(), 16u);
}

// ---------------------------------------------------------------------------------------------
// Deep structure

constexpr uint32_t deep = 100'000;

TEST(Robustness, HundredThousandNestedBlocksValidateAndRun) {
    Bytes body;
    for (uint32_t i = 0; i < deep; ++i)
        test::append(body, op::block(op::i32));
    test::append(body, op::i32_const(42));
    body.insert(body.end(), deep, op::end);
    ModuleBuilder m;
    const uint32_t t = m.type({}, {op::i32});
    m.export_function("f", m.function(t, body));
    Store store;
    Instance& instance = store.instantiate(parse_module(m.build()), {});
    std::vector<Value> results;
    ASSERT_EQ(call_export(store, instance, "f", &results), TrapKind::none);
    EXPECT_EQ(results.at(0).i32, 42u);
}

TEST(Robustness, BranchOutOfHundredThousandNestedBlocks) {
    Bytes body;
    for (uint32_t i = 0; i < deep; ++i)
        test::append(body, op::block());
    test::append(body, op::br(deep - 1)); // to the end of the outermost block
    test::append(body, op::unreachable);
    body.insert(body.end(), deep, op::end);
    test::append(body, op::i32_const(7));
    ModuleBuilder m;
    const uint32_t t = m.type({}, {op::i32});
    m.export_function("f", m.function(t, body));
    Store store;
    Instance& instance = store.instantiate(parse_module(m.build()), {});
    std::vector<Value> results;
    ASSERT_EQ(call_export(store, instance, "f", &results), TrapKind::none);
    EXPECT_EQ(results.at(0).i32, 7u);
}

// ---------------------------------------------------------------------------------------------
// Unbounded recursion: call_stack_exhausted, and the Store stays usable.

/// Adds an export "ok" returning 1, to check the store still works after a trap.
void add_ok_function(ModuleBuilder& m) {
    const uint32_t t = m.type({}, {op::i32});
    m.export_function("ok", m.function(t, op::i32_const(1)));
}

void expect_exhausted_then_usable(ModuleBuilder& m, const StoreOptions& options = {}) {
    add_ok_function(m);
    Store store(options);
    Instance& instance = store.instantiate(parse_module(m.build()), {});
    for (int round = 0; round < 2; ++round) {
        EXPECT_EQ(call_export(store, instance, "recurse"), TrapKind::call_stack_exhausted);
        std::vector<Value> results;
        ASSERT_EQ(call_export(store, instance, "ok", &results), TrapKind::none);
        EXPECT_EQ(results.at(0).i32, 1u);
    }
}

TEST(Robustness, DirectInfiniteRecursionTraps) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.export_function("recurse", m.function(t, op::call(0)));
    expect_exhausted_then_usable(m);
}

TEST(Robustness, RecursionWithArgumentsAndResultsTraps) {
    ModuleBuilder m;
    const uint32_t t = m.type({op::i32, op::i64, op::f64}, {op::i32, op::i64});
    const uint32_t f =
        m.function(t, code(op::local_get(0), op::local_get(1), op::local_get(2), op::call(0)));
    const uint32_t entry_type = m.type({}, {});
    m.export_function("recurse", m.function(entry_type, code(op::i32_const(1), uint8_t{0x42},
                                                             uint8_t{2}, uint8_t{0x44}, Bytes(8, 0),
                                                             op::call(f), op::drop, op::drop)));
    expect_exhausted_then_usable(m);
}

TEST(Robustness, MutualInfiniteRecursionTraps) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    const uint32_t f = m.function(t, op::call(1));
    m.function(t, op::call(0));
    m.export_function("recurse", f);
    expect_exhausted_then_usable(m);
}

TEST(Robustness, InfiniteRecursionThroughCallIndirectTraps) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.table(1);
    const uint32_t f = m.function(t, code(op::i32_const(0), op::call_indirect(t)));
    m.elements(0, {f});
    m.export_function("recurse", f);
    expect_exhausted_then_usable(m);
}

TEST(Robustness, InfiniteRecursionWithSmallDepthLimitTraps) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.export_function("recurse", m.function(t, op::call(0)));
    StoreOptions options;
    options.max_call_depth = 3;
    expect_exhausted_then_usable(m, options);
}

TEST(Robustness, DeepRecursionWithHugeFramesTraps) {
    // 50,000 locals (the decoder's default limit) per frame: the value stack runs out long
    // before the call-depth limit.
    ModuleBuilder m;
    const uint32_t t = m.type({op::i64}, {});
    m.export_function("recurse",
                      m.function(m.type({}, {}), code(uint8_t{0x42}, uint8_t{0}, op::call(1))));
    m.function(t, code(op::local_get(49'999), op::call(1)), {{49'999, op::i64}});
    expect_exhausted_then_usable(m);
}

TEST(Robustness, HugeFramesWithSmallValueStackTrap) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.export_function("recurse", m.function(t, op::call(0), {{40'000, op::f64}}));
    StoreOptions options;
    options.value_stack_slots = 100'000; // room for two frames
    expect_exhausted_then_usable(m, options);
}

// ---------------------------------------------------------------------------------------------
// Host re-entrance

struct Reentry {
    FunctionInstance* guest = nullptr;
    uint32_t depth = 0;
    uint32_t max_depth = 0;
};

/// Calls back into the guest, which calls this again: unbounded guest -> host -> guest.
TrapKind reenter(HostCall& call, const Value*, Value*) {
    auto& state = *static_cast<Reentry*>(call.context);
    state.max_depth = std::max(state.max_depth, ++state.depth);
    std::vector<Value> results;
    const TrapKind trap = call.store.call(*state.guest, {}, results).trap;
    --state.depth;
    return trap;
}

TEST(Robustness, HostReenteringTheGuestWithoutEndTraps) {
    for (uint32_t nesting : {100u, 1000u}) {
        ModuleBuilder m;
        const uint32_t t = m.type({}, {});
        const uint32_t host = m.import_function("env", "reenter", t);
        m.export_function("recurse", m.function(t, op::call(host)));
        add_ok_function(m);
        StoreOptions options;
        options.max_host_nesting = nesting;
        Store store(options);
        Reentry state;
        Imports imports;
        imports.add("env", "reenter", Extern::of(store.add_host_function({}, reenter, &state)));
        Instance& instance = store.instantiate(parse_module(m.build()), imports);
        state.guest = instance.find_function("recurse");
        EXPECT_EQ(call_export(store, instance, "recurse"), TrapKind::call_stack_exhausted);
        EXPECT_EQ(state.depth, 0u);
        EXPECT_GT(state.max_depth, 10u);
        EXPECT_LE(state.max_depth, nesting);
        EXPECT_EQ(call_export(store, instance, "ok"), TrapKind::none);
    }
}

// ---------------------------------------------------------------------------------------------
// Interrupts

/// Requests an interrupt of `store` after `delay`, from another thread.
class DelayedInterrupt {
public:
    DelayedInterrupt(Store& store, std::chrono::milliseconds delay)
        : thread_([&store, delay] {
              std::this_thread::sleep_for(delay);
              store.request_interrupt();
          }) {}
    ~DelayedInterrupt() { thread_.join(); }

private:
    std::thread thread_;
};

TEST(Robustness, InfiniteLoopStopsOnInterruptFromAnotherThread) {
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    m.export_function("spin", m.function(t, code(op::loop(), op::br(0), op::end)));
    add_ok_function(m);
    Store store;
    Instance& instance = store.instantiate(parse_module(m.build()), {});
    {
        DelayedInterrupt interrupt(store, 50ms);
        EXPECT_EQ(call_export(store, instance, "spin"), TrapKind::interrupted);
    }
    store.clear_interrupt();
    EXPECT_EQ(call_export(store, instance, "ok"), TrapKind::none);
}

TEST(Robustness, InterruptReachesALoopInsideAHostCall) {
    // guest "outer" -> host -> guest "spin": the interrupt stops the inner activation and the
    // trap propagates through the host function to the outermost call.
    ModuleBuilder m;
    const uint32_t t = m.type({}, {});
    const uint32_t host = m.import_function("env", "enter", t);
    m.export_function("outer", m.function(t, op::call(host)));
    m.export_function("spin", m.function(t, code(op::loop(), op::br(0), op::end)));
    Store store;
    Reentry state;
    Imports imports;
    imports.add("env", "enter", Extern::of(store.add_host_function({}, reenter, &state)));
    Instance& instance = store.instantiate(parse_module(m.build()), imports);
    state.guest = instance.find_function("spin");
    DelayedInterrupt interrupt(store, 50ms);
    EXPECT_EQ(call_export(store, instance, "outer"), TrapKind::interrupted);
    EXPECT_EQ(state.max_depth, 1u);
}

} // namespace
} // namespace wbpf::wasm
