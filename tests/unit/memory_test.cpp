// MemoryInstance: reservation, growth, limits and the bounds-checked host accessors, which must
// reject hostile guest pointers and lengths without overflowing.

#include "wasm/runtime.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace wbpf::wasm {
namespace {

constexpr uint32_t grow_failed = static_cast<uint32_t>(-1);

MemoryType memory_type(uint32_t min, std::optional<uint32_t> max = std::nullopt) {
    return MemoryType{Limits{min, max}};
}

TEST(MemoryInstance, InitialPagesAreZeroedAndWritable) {
    MemoryInstance memory(memory_type(2), max_pages);
    ASSERT_NE(memory.data, nullptr);
    EXPECT_EQ(memory.size, 2u * page_size);
    EXPECT_EQ(memory.pages(), 2u);
    for (uint64_t i = 0; i < memory.size; i += 4096)
        EXPECT_EQ(memory.data[i], 0);
    memory.data[0] = 1;
    memory.data[memory.size - 1] = 2;
    EXPECT_EQ(memory.data[memory.size - 1], 2);
}

TEST(MemoryInstance, ZeroPagesIsValid) {
    MemoryInstance memory(memory_type(0), max_pages);
    EXPECT_EQ(memory.size, 0u);
    EXPECT_NE(memory.data, nullptr);
    EXPECT_TRUE(memory.span(0, 0).has_value());
    EXPECT_FALSE(memory.span(0, 1).has_value());
}

TEST(MemoryInstance, GrowKeepsDataInPlaceAndZeroesNewPages) {
    MemoryInstance memory(memory_type(1, 3), max_pages);
    uint8_t* base = memory.data;
    memory.data[100] = 42;
    EXPECT_EQ(memory.grow(0), 1u);
    EXPECT_EQ(memory.grow(1), 1u);
    EXPECT_EQ(memory.data, base);
    EXPECT_EQ(memory.pages(), 2u);
    EXPECT_EQ(memory.data[100], 42);
    EXPECT_EQ(memory.data[page_size], 0);
    memory.data[2 * page_size - 1] = 7;
    EXPECT_EQ(memory.grow(1), 2u);
    EXPECT_EQ(memory.pages(), 3u);
}

TEST(MemoryInstance, GrowRespectsTypeMaximum) {
    MemoryInstance memory(memory_type(1, 2), max_pages);
    EXPECT_EQ(memory.grow(2), grow_failed);
    EXPECT_EQ(memory.grow(UINT32_MAX), grow_failed);
    EXPECT_EQ(memory.pages(), 1u);
    EXPECT_EQ(memory.grow(1), 1u);
    EXPECT_EQ(memory.grow(1), grow_failed);
    EXPECT_EQ(memory.grow(0), 2u);
}

TEST(MemoryInstance, GrowRespectsStoreLimit) {
    MemoryInstance memory(memory_type(0), 3);
    EXPECT_EQ(memory.grow(4), grow_failed);
    EXPECT_EQ(memory.grow(3), 0u);
    EXPECT_EQ(memory.grow(1), grow_failed);
    EXPECT_EQ(memory.pages(), 3u);
}

TEST(MemoryInstance, GrowsToFullFourGiB) {
    MemoryInstance memory(memory_type(0), max_pages);
    EXPECT_EQ(memory.grow(max_pages), 0u);
    EXPECT_EQ(memory.size, uint64_t{1} << 32);
    memory.data[memory.size - 1] = 9; // touches one page only
    EXPECT_EQ(memory.data[memory.size - 1], 9);
    EXPECT_EQ(memory.grow(1), grow_failed);
}

TEST(MemoryInstance, CurrentTypeReportsCurrentSize) {
    MemoryInstance memory(memory_type(1, 5), max_pages);
    memory.grow(2);
    MemoryType t = memory.current_type();
    EXPECT_EQ(t.limits.min, 3u);
    EXPECT_EQ(t.limits.max, std::optional<uint32_t>(5));
}

TEST(MemoryInstance, InitialSizeBeyondLimitThrows) {
    EXPECT_ANY_THROW(MemoryInstance(memory_type(5), 4));
}

TEST(MemoryInstance, ManyMemoriesCanCoexist) {
    // Each memory reserves address space only; a few hundred must not exhaust anything.
    std::vector<std::unique_ptr<MemoryInstance>> memories;
    for (int i = 0; i < 200; ++i)
        memories.push_back(std::make_unique<MemoryInstance>(memory_type(1), max_pages));
    for (auto& m : memories)
        m->data[0] = 1;
}

TEST(MemoryInstanceDeathTest, AccessBeyondSizeFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    MemoryInstance memory(memory_type(1), max_pages);
    volatile uint8_t* beyond = memory.data + memory.size;
    EXPECT_DEATH(*beyond = 1, "");
    volatile uint8_t* far = memory.data + (uint64_t{1} << 33);
    EXPECT_DEATH(*far = 1, "");
}

TEST(MemoryInstance, SpanRejectsHostileRanges) {
    MemoryInstance memory(memory_type(1), max_pages);
    const uint64_t size = memory.size;
    auto whole = memory.span(0, size);
    ASSERT_TRUE(whole.has_value());
    EXPECT_EQ(whole->data(), memory.data);
    EXPECT_EQ(whole->size(), size);
    EXPECT_TRUE(memory.span(size, 0).has_value());
    EXPECT_TRUE(memory.span(size - 1, 1).has_value());

    EXPECT_FALSE(memory.span(size, 1).has_value());
    EXPECT_FALSE(memory.span(size + 1, 0).has_value());
    EXPECT_FALSE(memory.span(1, size).has_value());
    EXPECT_FALSE(memory.span(0, size + 1).has_value());
    EXPECT_FALSE(memory.span(0xFFFF'FFFFu, 1).has_value());
    EXPECT_FALSE(memory.span(0xFFFF'FFF0u, 0x20).has_value());
    EXPECT_FALSE(memory.span(16, 0xFFFF'FFFFu).has_value());
    EXPECT_FALSE(memory.span(0xFFFF'FFFFu, 0xFFFF'FFFFu).has_value());
    // 64-bit wrap-around: ptr + len overflows to a small number.
    EXPECT_FALSE(memory.span(UINT64_MAX, 2).has_value());
    EXPECT_FALSE(memory.span(2, UINT64_MAX).has_value());
    EXPECT_FALSE(memory.span(UINT64_MAX, UINT64_MAX).has_value());
}

TEST(MemoryInstance, CStringIsBoundedByMemoryAndMaxLen) {
    MemoryInstance memory(memory_type(1), max_pages);
    std::memcpy(memory.data + 10, "hello", 6);
    EXPECT_EQ(memory.c_string(10, 100), "hello");
    EXPECT_EQ(memory.c_string(10, 5), "hello");
    EXPECT_FALSE(memory.c_string(10, 4).has_value());
    EXPECT_EQ(memory.c_string(10, UINT64_MAX), "hello");
    EXPECT_EQ(memory.c_string(15, 0), "");
    EXPECT_EQ(memory.c_string(0, 0), "");

    // A string running into the end of memory without a terminator.
    std::memset(memory.data + memory.size - 4, 'x', 4);
    EXPECT_FALSE(memory.c_string(memory.size - 4, UINT64_MAX).has_value());
    EXPECT_FALSE(memory.c_string(memory.size, UINT64_MAX).has_value());
    EXPECT_FALSE(memory.c_string(memory.size + 1, 10).has_value());
    EXPECT_FALSE(memory.c_string(UINT64_MAX, UINT64_MAX).has_value());
    EXPECT_FALSE(memory.c_string(0xFFFF'FFFFu, 0xFFFF'FFFFu).has_value());
}

TEST(MemoryInstance, LoadAndStoreAreBoundsChecked) {
    MemoryInstance memory(memory_type(1), max_pages);
    const uint64_t size = memory.size;
    EXPECT_TRUE(memory.store<uint32_t>(size - 4, 0x11223344u));
    uint32_t v = 0;
    EXPECT_TRUE(memory.load(size - 4, v));
    EXPECT_EQ(v, 0x11223344u);
    EXPECT_EQ(memory.data[size - 4], 0x44); // little-endian

    uint64_t unaligned = 0x0102030405060708ull, back = 0;
    EXPECT_TRUE(memory.store(3, unaligned));
    EXPECT_TRUE(memory.load(3, back));
    EXPECT_EQ(back, unaligned);

    EXPECT_FALSE(memory.store<uint32_t>(size - 3, 1));
    EXPECT_FALSE(memory.load(size - 3, v));
    EXPECT_FALSE(memory.load(size, v));
    EXPECT_FALSE(memory.load(UINT64_MAX - 1, v));
    EXPECT_FALSE(memory.store<uint64_t>(UINT64_MAX - 3, 1));
    EXPECT_FALSE(memory.load(0xFFFF'FFFEu, v));
}

} // namespace
} // namespace wbpf::wasm
