// ByteReader: LEB128 edge cases (maximum lengths, over-long encodings, unused bits), fixed-size
// reads, names and hostile vector counts.
#include "wasm/leb128.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace wbpf::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

/// Runs `read` over `bytes`, requires it to consume everything and returns its result.
template <typename Read>
auto read_all(const Bytes& bytes, Read read) {
    ByteReader r{bytes};
    auto v = read(r);
    EXPECT_TRUE(r.at_end()) << "left " << r.remaining() << " bytes";
    return v;
}

/// The message of the MalformedError that `read` throws on `bytes` ("" if none).
template <typename Read>
std::string error_of(const Bytes& bytes, Read read) {
    ByteReader r{bytes};
    try {
        read(r);
    } catch (const MalformedError& e) {
        return e.what();
    }
    return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

auto u32 = [](ByteReader& r) { return r.u32(); };
auto u64 = [](ByteReader& r) { return r.u64(); };
auto s32 = [](ByteReader& r) { return r.s32(); };
auto s33 = [](ByteReader& r) { return r.s33(); };
auto s64 = [](ByteReader& r) { return r.s64(); };

TEST(Leb128, U32Values) {
    EXPECT_EQ(read_all({0x00}, u32), 0u);
    EXPECT_EQ(read_all({0x7f}, u32), 127u);
    EXPECT_EQ(read_all({0x80, 0x01}, u32), 128u);
    EXPECT_EQ(read_all({0xe5, 0x8e, 0x26}, u32), 624485u);
    EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x0f}, u32), 0xffffffffu);
    // Padded (non-minimal) encodings are fine up to the maximum length.
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x00}, u32), 0u);
    EXPECT_EQ(read_all({0x83, 0x80, 0x00}, u32), 3u);
}

TEST(Leb128, U32Malformed) {
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, u32),
                            "integer representation too long"));
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0x8f}, u32),
                            "integer representation too long"));
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0x1f}, u32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x70}, u32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({}, u32), "unexpected end"));
    EXPECT_TRUE(starts_with(error_of({0x80}, u32), "unexpected end"));
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff}, u32), "unexpected end"));
}

TEST(Leb128, ErrorCarriesAbsoluteOffset) {
    Bytes b{0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x1f};
    ByteReader r{b, 100};
    r.skip(2);
    EXPECT_EQ(r.offset(), 102u);
    try {
        r.u32();
        FAIL() << "no error";
    } catch (const MalformedError& e) {
        EXPECT_EQ(e.offset(), 102u); // where the integer starts
    }
}

TEST(Leb128, U64) {
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x10}, u64), uint64_t{1} << 32);
    Bytes max(9, 0xff);
    max.push_back(0x01);
    EXPECT_EQ(read_all(max, u64), std::numeric_limits<uint64_t>::max());
    Bytes too_large(9, 0xff);
    too_large.push_back(0x02);
    EXPECT_TRUE(starts_with(error_of(too_large, u64), "integer too large"));
    Bytes too_long(10, 0x80);
    too_long.push_back(0x00);
    EXPECT_TRUE(starts_with(error_of(too_long, u64), "integer representation too long"));
}

TEST(Leb128, S32) {
    EXPECT_EQ(read_all({0x00}, s32), 0);
    EXPECT_EQ(read_all({0x7f}, s32), -1);
    EXPECT_EQ(read_all({0x3f}, s32), 63);
    EXPECT_EQ(read_all({0x40}, s32), -64);
    EXPECT_EQ(read_all({0xc0, 0x00}, s32), 64);
    EXPECT_EQ(read_all({0xbf, 0x7f}, s32), -65);
    EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x07}, s32), std::numeric_limits<int32_t>::max());
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x78}, s32), std::numeric_limits<int32_t>::min());
    EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x7f}, s32), -1);
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x00}, s32), 0);
}

TEST(Leb128, S32UnusedBitsMustBeSignExtension) {
    // Last byte: bit 3 is the sign, bits 4-6 must copy it.
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0x0f}, s32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x70}, s32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0x4f}, s32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x08}, s32), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, s32),
                            "integer representation too long"));
}

TEST(Leb128, S33) {
    EXPECT_EQ(read_all({0x40}, s33), -64); // the empty block type
    EXPECT_EQ(read_all({0x7f}, s33), -1);  // i32 block type
    EXPECT_EQ(read_all({0x05}, s33), 5);   // type index 5
    EXPECT_EQ(read_all({0xff, 0xff, 0xff, 0xff, 0x0f}, s33), int64_t{0xffffffff});
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x70}, s33), -(int64_t{1} << 32));
    // Last byte: bit 4 is the sign, bits 5-6 must copy it.
    EXPECT_TRUE(starts_with(error_of({0xff, 0xff, 0xff, 0xff, 0x1f}, s33), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x60}, s33), "integer too large"));
    EXPECT_TRUE(starts_with(error_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, s33),
                            "integer representation too long"));
}

TEST(Leb128, S64) {
    EXPECT_EQ(read_all({0x7f}, s64), -1);
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x10}, s64), int64_t{1} << 32);
    EXPECT_EQ(read_all({0x80, 0x80, 0x80, 0x80, 0x70}, s64), -(int64_t{1} << 32));
    Bytes min(9, 0x80);
    min.push_back(0x7f);
    EXPECT_EQ(read_all(min, s64), std::numeric_limits<int64_t>::min());
    Bytes max(9, 0xff);
    max.push_back(0x00);
    EXPECT_EQ(read_all(max, s64), std::numeric_limits<int64_t>::max());
    Bytes minus_one(9, 0xff);
    minus_one.push_back(0x7f);
    EXPECT_EQ(read_all(minus_one, s64), -1);

    Bytes bad_positive(9, 0xff);
    bad_positive.push_back(0x01); // sign bit set but the unused bits are clear
    EXPECT_TRUE(starts_with(error_of(bad_positive, s64), "integer too large"));
    Bytes bad_negative(9, 0x80);
    bad_negative.push_back(0x7e); // sign bit clear but the unused bits are set
    EXPECT_TRUE(starts_with(error_of(bad_negative, s64), "integer too large"));
    Bytes too_long(10, 0xff);
    too_long.push_back(0x7f);
    EXPECT_TRUE(starts_with(error_of(too_long, s64), "integer representation too long"));
}

TEST(ByteReader, FixedSizeReads) {
    Bytes b{0x00, 0x00, 0xc0, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f};
    ByteReader r{b};
    EXPECT_EQ(r.f32_bits(), 0x7fc00000u);
    EXPECT_EQ(r.f64_bits(), 0x7ff8000000000001u);
    EXPECT_TRUE(r.at_end());
    EXPECT_TRUE(starts_with(error_of({1, 2, 3}, [](ByteReader& x) { return x.f32_bits(); }),
                            "unexpected end"));
}

TEST(ByteReader, Names) {
    auto name = [](ByteReader& r) { return r.name(); };
    EXPECT_EQ(read_all({0x00}, name), "");
    EXPECT_EQ(read_all({0x03, 'a', 'b', 'c'}, name), "abc");
    EXPECT_EQ(read_all({0x02, 0xc3, 0xa9}, name), "\xc3\xa9");                     // U+00E9
    EXPECT_EQ(read_all({0x04, 0xf4, 0x8f, 0xbf, 0xbf}, name), "\xf4\x8f\xbf\xbf"); // U+10FFFF
    const char* utf8_error = "malformed UTF-8 encoding";
    EXPECT_TRUE(starts_with(error_of({0x02, 0xc0, 0x80}, name), utf8_error));       // overlong
    EXPECT_TRUE(starts_with(error_of({0x03, 0xe0, 0x80, 0xaf}, name), utf8_error)); // overlong
    EXPECT_TRUE(starts_with(error_of({0x03, 0xed, 0xa0, 0x80}, name), utf8_error)); // surrogate
    EXPECT_TRUE(starts_with(error_of({0x04, 0xf4, 0x90, 0x80, 0x80}, name), utf8_error));
    EXPECT_TRUE(starts_with(error_of({0x02, 0xe2, 0x82}, name), utf8_error)); // truncated
    EXPECT_TRUE(starts_with(error_of({0x01, 0x80}, name), utf8_error));       // lone continuation
    EXPECT_TRUE(starts_with(error_of({0x01, 0xff}, name), utf8_error));
    EXPECT_TRUE(starts_with(error_of({0x05, 'a'}, name), "length out of bounds"));
}

TEST(ByteReader, HostileVectorCountFailsFast) {
    Bytes b{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    EXPECT_TRUE(starts_with(error_of(b, [](ByteReader& r) { return r.vector_count(1); }),
                            "length out of bounds"));
    Bytes ok{0x03, 1, 2, 3, 4, 5, 6};
    EXPECT_EQ(read_all(ok,
                       [](ByteReader& r) {
                           uint32_t n = r.vector_count(2);
                           r.skip(6);
                           return n;
                       }),
              3u);
    Bytes too_many{0x04, 1, 2, 3, 4, 5, 6};
    EXPECT_TRUE(starts_with(error_of(too_many, [](ByteReader& r) { return r.vector_count(2); }),
                            "length out of bounds"));
}

TEST(ByteReader, SubReaderIsBounded) {
    Bytes b{0x01, 0x02, 0x03, 0x04};
    ByteReader r{b, 10};
    ByteReader sub = r.sub_reader(2, "unexpected end of section");
    EXPECT_EQ(r.offset(), 12u);
    EXPECT_EQ(sub.offset(), 10u);
    EXPECT_EQ(sub.u8(), 1);
    EXPECT_EQ(sub.u8(), 2);
    try {
        sub.u8();
        FAIL() << "read past the sub-reader";
    } catch (const MalformedError& e) {
        EXPECT_TRUE(starts_with(e.what(), "unexpected end of section"));
        EXPECT_EQ(e.offset(), 12u);
    }
    EXPECT_THROW(r.sub_reader(3, "x"), MalformedError);
}

TEST(ByteReader, PeekDoesNotConsume) {
    Bytes b{0x2a};
    ByteReader r{b};
    EXPECT_EQ(r.peek_u8(), 0x2a);
    EXPECT_EQ(r.u8(), 0x2a);
    EXPECT_THROW(r.peek_u8(), MalformedError);
}

} // namespace
} // namespace wbpf::wasm
