// ByteReader: a bounds-checked cursor over untrusted Wasm bytes (LEB128 integers, floats,
// names, vector counts). Header-only and inline because the compiler reads every instruction
// immediate through it.
//
// Every read either succeeds or throws MalformedError carrying the absolute byte offset in the
// module binary, so callers never check bounds themselves. Messages follow the spec's wording
// ("unexpected end", "integer representation too long", "integer too large",
// "malformed UTF-8 encoding", "length out of bounds").
//
//   ByteReader r(module.slice(code.body), code.body.offset);
//   uint8_t op = r.u8();
//   uint32_t local = r.u32();
#pragma once

#include "error.hpp"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace wbpf::wasm {

class ByteReader {
public:
    /// Reads `data`; `base_offset` is the absolute offset of data[0] in the module binary, used
    /// only for error messages. `end_message` is the error text when a read runs off the end.
    explicit ByteReader(std::span<const uint8_t> data, size_t base_offset = 0,
                        const char* end_message = "unexpected end") noexcept
        : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()),
          base_offset_(base_offset), end_message_(end_message) {}

    // ---- Position ----

    /// Absolute offset (in the module binary) of the next byte to read.
    size_t offset() const noexcept { return base_offset_ + static_cast<size_t>(pos_ - begin_); }
    /// Bytes consumed since construction.
    size_t position() const noexcept { return static_cast<size_t>(pos_ - begin_); }
    size_t remaining() const noexcept { return static_cast<size_t>(end_ - pos_); }
    bool at_end() const noexcept { return pos_ == end_; }
    /// Pointer to the next unread byte (valid for remaining() bytes).
    const uint8_t* current() const noexcept { return pos_; }

    /// Throws MalformedError(message) at the current offset.
    [[noreturn]] void fail(const std::string& message) const {
        throw MalformedError(message, offset());
    }
    [[noreturn]] void fail_at(const std::string& message, size_t absolute_offset) const {
        throw MalformedError(message, absolute_offset);
    }

    // ---- Fixed-size reads ----

    uint8_t u8() {
        if (pos_ == end_) [[unlikely]]
            fail(end_message_);
        return *pos_++;
    }
    /// The next byte without consuming it.
    uint8_t peek_u8() const {
        if (pos_ == end_) [[unlikely]]
            fail(end_message_);
        return *pos_;
    }
    /// Little-endian 4 bytes (the raw bits of an f32.const).
    uint32_t fixed_u32() {
        require(4);
        uint32_t v;
        std::memcpy(&v, pos_, 4); // Wasm and our hosts (x86-64, aarch64) are little-endian
        pos_ += 4;
        return v;
    }
    /// Little-endian 8 bytes (the raw bits of an f64.const).
    uint64_t fixed_u64() {
        require(8);
        uint64_t v;
        std::memcpy(&v, pos_, 8);
        pos_ += 8;
        return v;
    }
    /// f32/f64 as raw bits, so NaN payloads survive untouched.
    uint32_t f32_bits() { return fixed_u32(); }
    uint64_t f64_bits() { return fixed_u64(); }

    /// The next `n` bytes as a span into the underlying data.
    std::span<const uint8_t> bytes(size_t n) {
        require(n);
        std::span<const uint8_t> s{pos_, n};
        pos_ += n;
        return s;
    }
    void skip(size_t n) {
        require(n);
        pos_ += n;
    }

    // ---- LEB128 ----

    /// Unsigned LEB128, at most 5 bytes, value < 2^32.
    uint32_t u32() {
        if (pos_ != end_ && *pos_ < 0x80) [[likely]]
            return *pos_++;
        return static_cast<uint32_t>(read_unsigned(32));
    }
    /// Unsigned LEB128, at most 10 bytes, value < 2^64.
    uint64_t u64() {
        if (pos_ != end_ && *pos_ < 0x80) [[likely]]
            return *pos_++;
        return read_unsigned(64);
    }
    /// Signed LEB128 of a 32-bit integer (i32.const).
    int32_t s32() { return static_cast<int32_t>(read_signed(32)); }
    /// Signed LEB128 of a 33-bit integer (block types: a type index or a negative type code).
    int64_t s33() { return read_signed(33); }
    /// Signed LEB128 of a 64-bit integer (i64.const).
    int64_t s64() { return read_signed(64); }

    // ---- Composite ----

    /// A vector length, checked to be plausible: the vector's elements take at least
    /// `min_element_size` bytes each, so a count larger than remaining() / min_element_size
    /// cannot be satisfied and fails now, before anything is allocated for it.
    uint32_t vector_count(size_t min_element_size = 1) {
        size_t at = offset();
        uint32_t n = u32();
        if (min_element_size != 0 && n > remaining() / min_element_size)
            fail_at("length out of bounds", at);
        return n;
    }

    /// A name: u32 length then that many bytes of valid UTF-8.
    std::string name() {
        size_t at = offset();
        uint32_t n = u32();
        if (n > remaining()) fail_at("length out of bounds", at);
        std::string_view s{reinterpret_cast<const char*>(pos_), n};
        if (!is_valid_utf8(s)) fail("malformed UTF-8 encoding");
        pos_ += n;
        return std::string{s};
    }

    /// A reader over the next `n` bytes, which this reader skips. Fails with
    /// "length out of bounds" if fewer than `n` bytes remain.
    ByteReader sub_reader(size_t n, const char* end_message) {
        if (n > remaining()) fail("length out of bounds");
        ByteReader sub{std::span<const uint8_t>{pos_, n}, offset(), end_message};
        pos_ += n;
        return sub;
    }

    /// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    static bool is_valid_utf8(std::string_view s) noexcept {
        const auto* p = reinterpret_cast<const uint8_t*>(s.data());
        const auto* e = p + s.size();
        while (p < e) {
            uint8_t c = *p;
            if (c < 0x80) {
                ++p;
                continue;
            }
            size_t len;
            uint32_t cp;
            if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
            } else {
                return false; // continuation byte, overlong 2-byte lead, or > U+10FFFF lead
            }
            if (static_cast<size_t>(e - p) < len) return false;
            for (size_t i = 1; i < len; ++i) {
                if ((p[i] & 0xc0) != 0x80) return false;
                cp = (cp << 6) | (p[i] & 0x3f);
            }
            if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false; // overlong
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
            p += len;
        }
        return true;
    }

private:
    void require(size_t n) const {
        if (n > remaining()) [[unlikely]]
            fail(end_message_);
    }

    /// Unsigned LEB128 of at most `bits` bits (32 or 64).
    uint64_t read_unsigned(unsigned bits) {
        const size_t start = offset();
        const unsigned max_bytes = (bits + 6) / 7;
        uint64_t result = 0;
        for (unsigned i = 0;; ++i) {
            uint8_t byte = u8();
            unsigned shift = 7 * i;
            if (i == max_bytes - 1) {
                if (byte & 0x80) fail_at("integer representation too long", start);
                // Only bits - shift low bits of the last byte may be set.
                unsigned used = bits - shift;
                if (byte >> used) fail_at("integer too large", start);
                return result | (static_cast<uint64_t>(byte) << shift);
            }
            result |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return result;
        }
    }

    /// Signed LEB128 of at most `bits` bits (32, 33 or 64), sign-extended to 64 bits.
    int64_t read_signed(unsigned bits) {
        const size_t start = offset();
        const unsigned max_bytes = (bits + 6) / 7;
        uint64_t result = 0;
        for (unsigned i = 0;; ++i) {
            uint8_t byte = u8();
            unsigned shift = 7 * i;
            if (i == max_bytes - 1) {
                if (byte & 0x80) fail_at("integer representation too long", start);
                // The unused high bits of the last byte must all equal the value's sign bit.
                unsigned used = bits - shift; // 1..7 payload bits in this byte
                uint8_t sign_bit = (byte >> (used - 1)) & 1;
                uint8_t high = static_cast<uint8_t>(byte >> used); // 7 - used bits
                uint8_t expected = sign_bit ? static_cast<uint8_t>(0x7f >> used) : 0;
                if (high != expected) fail_at("integer too large", start);
                result |= static_cast<uint64_t>(byte & 0x7f) << shift;
                shift += 7;
                if (shift < 64 && sign_bit) result |= ~uint64_t{0} << shift;
                return static_cast<int64_t>(result);
            }
            result |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) {
                shift += 7;
                if (shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
                return static_cast<int64_t>(result);
            }
        }
    }

    const uint8_t* begin_;
    const uint8_t* pos_;
    const uint8_t* end_;
    size_t base_offset_;
    const char* end_message_;
};

} // namespace wbpf::wasm
