// Binary decoder and module-level validation, on modules built byte by byte.
#include "wasm/decoder.hpp"
#include "wasm/error.hpp"
#include "wasm/validate_module.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace wbpf::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes leb(uint64_t v) {
    Bytes out;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out.push_back(static_cast<uint8_t>(byte | (v ? 0x80 : 0)));
    } while (v);
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes str(const std::string& s) {
    return cat({leb(s.size()), Bytes(s.begin(), s.end())});
}

Bytes section(uint8_t id, const Bytes& payload) {
    return cat({Bytes{id}, leb(payload.size()), payload});
}

Bytes module(std::initializer_list<Bytes> sections) {
    Bytes out{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    for (const Bytes& s : sections)
        out.insert(out.end(), s.begin(), s.end());
    return out;
}

// Frequently used sections.
const Bytes type_void = section(1, {0x01, 0x60, 0x00, 0x00});       // type 0: [] -> []
const Bytes one_function = section(3, {0x01, 0x00});                // func 0: type 0
const Bytes one_empty_body = section(10, {0x01, 0x02, 0x00, 0x0b}); // no locals, `end`
const Bytes one_memory = section(5, {0x01, 0x00, 0x01});            // memory 1 page

Module decode(const Bytes& b) {
    return decode_module(b, DecodeLimits{});
}

Module decode_and_validate(const Bytes& b, std::vector<bool>* refs = nullptr) {
    Module m = decode(b);
    std::vector<bool> local_refs;
    validate_module(m, refs ? *refs : local_refs);
    return m;
}

/// The message of the MalformedError decoding `b` throws, or "" if none.
std::string malformed(const Bytes& b) {
    try {
        decode(b);
    } catch (const MalformedError& e) {
        return e.what();
    } catch (const Error& e) {
        return std::string{"wrong error type: "} + e.what();
    }
    return "";
}

/// The message of the ValidationError decoding or validating `b` throws, or "" if none.
std::string invalid(const Bytes& b) {
    try {
        decode_and_validate(b);
    } catch (const ValidationError& e) {
        return e.what();
    } catch (const Error& e) {
        return std::string{"wrong error type: "} + e.what();
    }
    return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

#define EXPECT_MALFORMED(bytes, message) EXPECT_PRED2(starts_with, malformed(bytes), message)
#define EXPECT_INVALID(bytes, message) EXPECT_PRED2(starts_with, invalid(bytes), message)

// ---- Header and section framing ----

TEST(Decoder, EmptyModule) {
    Module m = decode_and_validate(module({}));
    EXPECT_EQ(m.bytes.size(), 8u);
    EXPECT_EQ(m.function_count(), 0u);
}

TEST(Decoder, Header) {
    EXPECT_MALFORMED(Bytes{}, "unexpected end");
    EXPECT_MALFORMED((Bytes{0x00, 0x61, 0x73}), "unexpected end");
    EXPECT_MALFORMED((Bytes{0x00, 0x41, 0x53, 0x4d, 0x01, 0, 0, 0}), "magic header not detected");
    EXPECT_MALFORMED((Bytes{0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0}), "unknown binary version");
    EXPECT_MALFORMED((Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0}), "unexpected end");
}

TEST(Decoder, SectionOrder) {
    EXPECT_EQ(malformed(module({type_void, one_function, one_empty_body})), "");
    EXPECT_MALFORMED(module({one_function, type_void, one_empty_body}),
                     "unexpected content after last section");
    EXPECT_MALFORMED(module({type_void, type_void}), "unexpected content after last section");
    // datacount goes after element and before code.
    const Bytes datacount = section(12, {0x00});
    EXPECT_EQ(malformed(module({type_void, one_function, datacount, one_empty_body})), "");
    EXPECT_MALFORMED(module({type_void, one_function, one_empty_body, datacount}),
                     "unexpected content after last section");
    EXPECT_MALFORMED(module({datacount, section(9, {0x00})}),
                     "unexpected content after last section");
    EXPECT_MALFORMED(module({section(13, {})}), "malformed section id");
}

TEST(Decoder, CustomSectionsAnywhere) {
    const Bytes custom = section(0, cat({str("hello"), Bytes{1, 2, 3}}));
    Module m = decode_and_validate(
        module({custom, type_void, custom, one_function, custom, one_empty_body, custom}));
    EXPECT_EQ(m.codes.size(), 1u);
    EXPECT_MALFORMED(module({section(0, {0x02, 0xc0, 0x80})}), "malformed UTF-8 encoding");
    EXPECT_MALFORMED(module({section(0, {})}), "unexpected end");
    EXPECT_MALFORMED(module({section(0, {0x05, 'a'})}), "length out of bounds");
}

TEST(Decoder, SectionSizeMustMatch) {
    // Declared one byte longer than the content.
    EXPECT_MALFORMED(module({Bytes{0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00}}),
                     "section size mismatch");
    // Declared shorter than the content.
    EXPECT_MALFORMED(module({Bytes{0x01, 0x04, 0x01, 0x60, 0x01, 0x7f, 0x00}}), "unexpected end");
    // Longer than the file.
    EXPECT_MALFORMED(module({Bytes{0x01, 0x09, 0x01, 0x60, 0x00, 0x00}}), "length out of bounds");
}

TEST(Decoder, FunctionAndCodeCountsMustMatch) {
    const char* msg = "function and code section have inconsistent lengths";
    EXPECT_MALFORMED(module({type_void, one_function}), msg);
    EXPECT_MALFORMED(module({type_void, one_empty_body}), msg);
    EXPECT_MALFORMED(module({type_void, section(3, {0x02, 0x00, 0x00}), one_empty_body}), msg);
    EXPECT_EQ(malformed(module({type_void, section(3, {0x00}), section(10, {0x00})})), "");
}

TEST(Decoder, DataCountMustMatch) {
    const char* msg = "data count and data section have inconsistent lengths";
    const Bytes passive_data = section(11, {0x01, 0x01, 0x02, 'h', 'i'});
    EXPECT_EQ(malformed(module({one_memory, section(12, {0x01}), passive_data})), "");
    EXPECT_MALFORMED(module({one_memory, section(12, {0x02}), passive_data}), msg);
    EXPECT_MALFORMED(module({one_memory, section(12, {0x01})}), msg);
    EXPECT_EQ(malformed(module({section(12, {0x00})})), "");
}

TEST(Decoder, HostileCounts) {
    const Bytes huge = leb(0xffffffff);
    EXPECT_MALFORMED(module({section(1, cat({huge, Bytes(10, 0)}))}), "length out of bounds");
    EXPECT_MALFORMED(module({section(3, cat({huge, Bytes(10, 0)}))}), "length out of bounds");
    EXPECT_MALFORMED(module({section(9, cat({huge, Bytes(10, 0)}))}), "length out of bounds");
    EXPECT_MALFORMED(module({section(11, cat({huge, Bytes(10, 0)}))}), "length out of bounds");
    // Huge parameter vector inside a type.
    EXPECT_MALFORMED(module({section(1, cat({Bytes{0x01, 0x60}, huge, Bytes{0x00}}))}),
                     "length out of bounds");
    // Huge data segment length.
    EXPECT_MALFORMED(module({one_memory, section(11, cat({Bytes{0x01, 0x01}, huge}))}),
                     "unexpected end");
}

TEST(Decoder, TooManyLocals) {
    // 0xffffffff i32 + 2 i64: the sum overflows 32 bits.
    Bytes body = cat({Bytes{0x02}, leb(0xffffffff), Bytes{0x7f, 0x02, 0x7e, 0x0b}});
    EXPECT_MALFORMED(
        module({type_void, one_function, section(10, cat({Bytes{0x01}, leb(body.size()), body}))}),
        "too many locals");
    // Within 32 bits but above DecodeLimits::max_locals_per_function.
    Bytes big = cat({Bytes{0x01}, leb(100000), Bytes{0x7f, 0x0b}});
    EXPECT_MALFORMED(
        module({type_void, one_function, section(10, cat({Bytes{0x01}, leb(big.size()), big}))}),
        "too many locals");
}

TEST(Decoder, CodeBodyRange) {
    // Two local groups (2 x i32, 1 x f64), body `nop; end`.
    Bytes body{0x02, 0x02, 0x7f, 0x01, 0x7c, 0x01, 0x0b};
    Bytes b =
        module({type_void, one_function, section(10, cat({Bytes{0x01}, leb(body.size()), body}))});
    Module m = decode(b);
    ASSERT_EQ(m.codes.size(), 1u);
    const Code& c = m.codes[0];
    ASSERT_EQ(c.locals.size(), 2u);
    EXPECT_EQ(c.locals[0].count, 2u);
    EXPECT_EQ(c.locals[0].type, ValType::i32);
    EXPECT_EQ(c.locals[1].type, ValType::f64);
    EXPECT_EQ(c.local_count, 3u);
    auto instructions = m.slice(c.body);
    ASSERT_EQ(instructions.size(), 2u);
    EXPECT_EQ(instructions[0], 0x01);
    EXPECT_EQ(instructions[1], 0x0b);
    EXPECT_EQ(c.body.offset + c.body.size, b.size());

    Bytes no_end{0x00, 0x01};
    EXPECT_MALFORMED(
        module({type_void, one_function, section(10, cat({Bytes{0x01}, leb(2), no_end}))}),
        "END opcode expected");
}

TEST(Decoder, ValueTypes) {
    EXPECT_MALFORMED(module({section(1, {0x01, 0x60, 0x01, 0x7a, 0x00})}), "malformed value type");
    EXPECT_MALFORMED(module({section(1, {0x01, 0x61, 0x00, 0x00})}), "malformed function type");
    EXPECT_THROW(decode(module({section(1, {0x01, 0x60, 0x01, 0x7b, 0x00})})), UnsupportedError);
    // v128 as a local or a global type.
    Bytes body{0x01, 0x01, 0x7b, 0x0b};
    EXPECT_THROW(decode(module({type_void, one_function,
                                section(10, cat({Bytes{0x01}, leb(body.size()), body}))})),
                 UnsupportedError);
    EXPECT_THROW(decode(module({section(6, {0x01, 0x7b, 0x00, 0x0b})})), UnsupportedError);
    Module m = decode(module(
        {section(1, {0x02, 0x60, 0x02, 0x7f, 0x6f, 0x01, 0x70, 0x60, 0x00, 0x02, 0x7e, 0x7d})}));
    ASSERT_EQ(m.types.size(), 2u);
    EXPECT_EQ(m.types[0].params, (std::vector<ValType>{ValType::i32, ValType::externref}));
    EXPECT_EQ(m.types[0].results, std::vector<ValType>{ValType::funcref});
    EXPECT_EQ(m.types[1].results, (std::vector<ValType>{ValType::i64, ValType::f32}));
}

// ---- Imports, limits ----

TEST(Decoder, Imports) {
    Bytes imports = cat({Bytes{0x04}, str("env"), str("f"), Bytes{0x00, 0x00},      // func type 0
                         str("env"), str("t"), Bytes{0x01, 0x6f, 0x01, 0x01, 0x05}, // table
                         str("env"), str("m"), Bytes{0x02, 0x00, 0x02},             // memory
                         str("env"), str("g"), Bytes{0x03, 0x7e, 0x01}});           // mut i64
    Module m = decode_and_validate(module({type_void, section(2, imports)}));
    EXPECT_EQ(m.imported_function_count, 1u);
    EXPECT_EQ(m.imported_table_count, 1u);
    EXPECT_EQ(m.imported_memory_count, 1u);
    EXPECT_EQ(m.imported_global_count, 1u);
    EXPECT_EQ(m.imported(ExternKind::table, 0).name, "t");
    EXPECT_EQ(m.table_type(0).element, ValType::externref);
    EXPECT_EQ(m.table_type(0).limits.max, 5u);
    EXPECT_EQ(m.memory_type(0).limits.min, 2u);
    EXPECT_TRUE(m.global_type(0).is_mutable);
    EXPECT_EQ(m.function_type(0), FuncType{});

    EXPECT_MALFORMED(module({section(2, cat({Bytes{0x01}, str("a"), str("b"), Bytes{0x04, 0}}))}),
                     "malformed import kind");
    EXPECT_MALFORMED(
        module({section(2, cat({Bytes{0x01}, str("a"), str("b"), Bytes{0x03, 0x7f, 0x02}}))}),
        "malformed mutability");
    EXPECT_INVALID(module({section(2, cat({Bytes{0x01}, str("a"), str("b"), Bytes{0x00, 0x00}}))}),
                   "unknown type");
}

TEST(Decoder, Limits) {
    EXPECT_MALFORMED(module({section(5, {0x01, 0x02, 0x00, 0x00})}), "integer too large");
    EXPECT_MALFORMED(module({section(4, {0x01, 0x70, 0x03, 0x00})}), "integer too large");
    EXPECT_EQ(invalid(module({section(5, cat({Bytes{0x01, 0x01, 0x00}, leb(65536)}))})), "");
    EXPECT_INVALID(module({section(5, cat({Bytes{0x01, 0x00}, leb(65537)}))}),
                   "memory size must be at most 65536 pages (4GiB)");
    EXPECT_INVALID(module({section(5, cat({Bytes{0x01, 0x01, 0x00}, leb(65537)}))}),
                   "memory size must be at most 65536 pages (4GiB)");
    EXPECT_INVALID(module({section(5, {0x01, 0x01, 0x02, 0x01})}),
                   "size minimum must not be greater than maximum");
    EXPECT_INVALID(module({section(4, {0x01, 0x70, 0x01, 0x02, 0x01})}),
                   "size minimum must not be greater than maximum");
    EXPECT_EQ(invalid(module({section(4, cat({Bytes{0x01, 0x70, 0x00}, leb(0xffffffff)}))})), "");
    EXPECT_INVALID(module({section(5, {0x02, 0x00, 0x00, 0x00, 0x00})}), "multiple memories");
    Bytes import_memory = cat({Bytes{0x01}, str("a"), str("m"), Bytes{0x02, 0x00, 0x00}});
    EXPECT_INVALID(module({section(2, import_memory), one_memory}), "multiple memories");
}

// ---- Globals and constant expressions ----

TEST(Decoder, GlobalsAndConstExprs) {
    Bytes globals{0x05, 0x7f, 0x00, 0x41, 0x7f, 0x0b,             // i32 = -1
                  0x7e, 0x01, 0x42, 0x80, 0x01, 0x0b,             // mut i64 = 128
                  0x7d, 0x00, 0x43, 0x00, 0x00, 0xc0, 0x7f, 0x0b, // f32 = nan
                  0x70, 0x00, 0xd2, 0x00, 0x0b,                   // funcref = ref.func 0
                  0x6f, 0x00, 0xd0, 0x6f, 0x0b};                  // externref = null
    std::vector<bool> refs;
    Module m = decode_and_validate(
        module({type_void, one_function, section(6, globals), one_empty_body}), &refs);
    ASSERT_EQ(m.globals.size(), 5u);
    EXPECT_EQ(static_cast<int32_t>(m.globals[0].init.value.i32), -1);
    EXPECT_EQ(m.globals[1].init.value.i64, 128u);
    EXPECT_TRUE(m.globals[1].type.is_mutable);
    EXPECT_EQ(m.globals[2].init.value.f32_bits(), 0x7fc00000u);
    EXPECT_EQ(m.globals[3].init.kind, ConstExpr::Kind::ref_func);
    EXPECT_EQ(m.globals[4].init.kind, ConstExpr::Kind::ref_null);
    EXPECT_EQ(m.globals[4].init.type, ValType::externref);
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_TRUE(refs[0]);
}

TEST(Decoder, ConstExprErrors) {
    auto global = [](Bytes b) { return module({section(6, cat({Bytes{0x01}, b}))}); };
    EXPECT_INVALID(global({0x7f, 0x00, 0x42, 0x00, 0x0b}), "type mismatch");
    EXPECT_INVALID(global({0x7f, 0x00, 0x0b}), "type mismatch"); // empty
    EXPECT_INVALID(global({0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b}), "type mismatch");
    EXPECT_INVALID(global({0x7f, 0x00, 0x01, 0x0b}), "constant expression required"); // nop
    EXPECT_INVALID(global({0x7f, 0x00, 0x41, 0x00, 0x45, 0x0b}), "constant expression required");
    EXPECT_MALFORMED(global({0x7f, 0x00, 0x41, 0x00}), "unexpected end"); // missing end
    EXPECT_MALFORMED(global({0x7f, 0x00, 0xff, 0x0b}), "illegal opcode");
    EXPECT_MALFORMED(global({0x70, 0x00, 0xd0, 0x7f, 0x0b}), "malformed reference type");
    EXPECT_INVALID(global({0x70, 0x00, 0xd2, 0x00, 0x0b}), "unknown function 0");
    // global.get: only imported, immutable globals.
    EXPECT_INVALID(
        module({section(6, {0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b})}),
        "unknown global 0");
    Bytes import_const = cat({Bytes{0x01}, str("a"), str("g"), Bytes{0x03, 0x7f, 0x00}});
    Bytes import_mut = cat({Bytes{0x01}, str("a"), str("g"), Bytes{0x03, 0x7f, 0x01}});
    const Bytes get0 = section(6, {0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b});
    EXPECT_EQ(invalid(module({section(2, import_const), get0})), "");
    EXPECT_INVALID(module({section(2, import_mut), get0}), "constant expression required");
    EXPECT_INVALID(
        module({section(2, import_const), section(6, {0x01, 0x7e, 0x00, 0x23, 0x00, 0x0b})}),
        "type mismatch");
}

// ---- Exports and start ----

TEST(Decoder, Exports) {
    Bytes exports = cat({Bytes{0x02}, str("f"), Bytes{0x00, 0x00}, str("mem"), Bytes{0x02, 0x00}});
    std::vector<bool> refs;
    Module m = decode_and_validate(
        module({type_void, one_function, one_memory, section(7, exports), one_empty_body}), &refs);
    ASSERT_EQ(m.exports.size(), 2u);
    EXPECT_EQ(m.exports[1].name, "mem");
    EXPECT_EQ(m.exports[1].kind, ExternKind::memory);
    EXPECT_TRUE(refs.at(0)); // exported functions may be ref.func'd

    Bytes dup = cat({Bytes{0x02}, str("f"), Bytes{0x00, 0x00}, str("f"), Bytes{0x02, 0x00}});
    EXPECT_INVALID(module({type_void, one_function, one_memory, section(7, dup), one_empty_body}),
                   "duplicate export name");
    EXPECT_INVALID(module({section(7, cat({Bytes{0x01}, str("g"), Bytes{0x03, 0x00}}))}),
                   "unknown global 0");
    EXPECT_INVALID(module({section(7, cat({Bytes{0x01}, str("t"), Bytes{0x01, 0x00}}))}),
                   "unknown table 0");
    EXPECT_MALFORMED(module({section(7, cat({Bytes{0x01}, str("x"), Bytes{0x04, 0x00}}))}),
                     "malformed export kind");
}

TEST(Decoder, Start) {
    Module m =
        decode_and_validate(module({type_void, one_function, section(8, {0x00}), one_empty_body}));
    EXPECT_EQ(m.start, 0u);
    EXPECT_INVALID(module({type_void, one_function, section(8, {0x01}), one_empty_body}),
                   "unknown function 1");
    const Bytes type_i32 = section(1, {0x01, 0x60, 0x01, 0x7f, 0x00});
    Bytes body{0x00, 0x0b};
    EXPECT_INVALID(module({type_i32, one_function, section(8, {0x00}),
                           section(10, cat({Bytes{0x01}, leb(body.size()), body}))}),
                   "start function");
}

// ---- Element and data segments ----

TEST(Decoder, AllElementEncodings) {
    const Bytes table = section(4, {0x01, 0x70, 0x00, 0x0a});
    Bytes elems{0x08, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,       // 0: active, table 0, funcidx
                0x01, 0x00, 0x01, 0x00,                         // 1: passive, elemkind, funcidx
                0x02, 0x00, 0x41, 0x01, 0x0b, 0x00, 0x01, 0x00, // 2: active, table, funcidx
                0x03, 0x00, 0x01, 0x00,                         // 3: declarative funcidx
                0x04, 0x41, 0x02, 0x0b, 0x01, 0xd0, 0x70, 0x0b, // 4: active, exprs
                0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,             // 5: passive externref exprs
                0x06, 0x00, 0x41, 0x03, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b, // 6
                0x07, 0x70, 0x00};                                          // 7: declarative
    std::vector<bool> refs;
    Module m = decode_and_validate(
        module({type_void, one_function, table, section(9, elems), one_empty_body}), &refs);
    ASSERT_EQ(m.elements.size(), 8u);
    const SegmentMode modes[8] = {
        SegmentMode::active, SegmentMode::passive, SegmentMode::active, SegmentMode::declarative,
        SegmentMode::active, SegmentMode::passive, SegmentMode::active, SegmentMode::declarative};
    for (size_t i = 0; i < 8; ++i)
        EXPECT_EQ(m.elements[i].mode, modes[i]) << i;
    EXPECT_EQ(m.elements[2].offset.value.i32, 1u);
    EXPECT_EQ(m.elements[4].items[0].kind, ConstExpr::Kind::ref_null);
    EXPECT_EQ(m.elements[5].type, ValType::externref);
    EXPECT_EQ(m.elements[6].items[0].kind, ConstExpr::Kind::ref_func);
    EXPECT_TRUE(m.elements[7].items.empty());
    EXPECT_TRUE(refs.at(0));

    EXPECT_MALFORMED(module({section(9, {0x01, 0x08})}), "malformed elements segment kind");
    EXPECT_MALFORMED(module({section(9, {0x01, 0x01, 0x01, 0x00})}), "malformed element kind");
    EXPECT_MALFORMED(module({section(9, {0x01, 0x05, 0x7f, 0x00})}), "malformed reference type");
}

TEST(Decoder, ElementValidation) {
    const Bytes funcref_table = section(4, {0x01, 0x70, 0x00, 0x0a});
    const Bytes externref_table = section(4, {0x01, 0x6f, 0x00, 0x0a});
    const Bytes active_func = section(9, {0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00});
    EXPECT_INVALID(module({type_void, one_function, active_func, one_empty_body}),
                   "unknown table 0");
    EXPECT_INVALID(module({type_void, one_function, externref_table, active_func, one_empty_body}),
                   "type mismatch");
    EXPECT_INVALID(module({funcref_table, section(9, {0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00})}),
                   "unknown function 0");
    // Offset must be i32.
    EXPECT_INVALID(module({funcref_table, section(9, {0x01, 0x00, 0x42, 0x00, 0x0b, 0x00})}),
                   "type mismatch");
    // Item type must match the segment type.
    EXPECT_INVALID(module({section(9, {0x01, 0x05, 0x70, 0x01, 0xd0, 0x6f, 0x0b})}),
                   "type mismatch");
}

TEST(Decoder, DataSegments) {
    Bytes datas{0x03, 0x00, 0x41, 0x10, 0x0b, 0x02, 'h', 'i',       // 0: active memory 0
                0x01, 0x01, 'x',                                    // 1: passive
                0x02, 0x00, 0x41, 0x20, 0x0b, 0x03, 'a', 'b', 'c'}; // 2: explicit memory
    Bytes b = module({one_memory, section(11, datas)});
    Module m = decode_and_validate(b);
    ASSERT_EQ(m.datas.size(), 3u);
    EXPECT_EQ(m.datas[0].offset.value.i32, 16u);
    EXPECT_EQ(m.datas[1].mode, SegmentMode::passive);
    auto abc = m.slice(m.datas[2].bytes);
    EXPECT_EQ(std::string(abc.begin(), abc.end()), "abc");

    EXPECT_MALFORMED(module({one_memory, section(11, {0x01, 0x03, 0x00})}),
                     "malformed data segment kind");
    EXPECT_INVALID(module({section(11, {0x01, 0x00, 0x41, 0x00, 0x0b, 0x00})}), "unknown memory 0");
    EXPECT_EQ(invalid(module({section(11, {0x01, 0x01, 0x00})})), ""); // passive needs none
}

// ---- Name section ----

Bytes name_section(const Bytes& subsections) {
    return section(0, cat({str("name"), subsections}));
}

TEST(Decoder, NameSection) {
    Bytes module_name = cat({Bytes{0x00}, leb(4), str("mod")});
    Bytes fn_names = cat({Bytes{0x02}, Bytes{0x00}, str("first"), Bytes{0x02}, str("third")});
    Bytes function_names = cat({Bytes{0x01}, leb(fn_names.size()), fn_names});
    Bytes local_names = {0x02, 0x01, 0x00};
    Module m =
        decode(module({type_void, section(3, {0x03, 0x00, 0x00, 0x00}),
                       section(10, {0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b}),
                       name_section(cat({module_name, function_names, local_names}))}));
    EXPECT_EQ(m.name, "mod");
    ASSERT_EQ(m.function_names.size(), 3u);
    EXPECT_EQ(m.function_names[0], "first");
    EXPECT_EQ(m.function_names[1], "");
    EXPECT_EQ(m.function_display_name(0), "first");
    EXPECT_EQ(m.function_display_name(1), "func[1]");
    EXPECT_EQ(m.function_display_name(2), "third");
}

TEST(Decoder, MalformedNameSectionIsIgnored) {
    // Function names subsection whose size overruns, then garbage.
    Bytes bad = {0x01, 0x10, 0x01, 0x00, 0x05, 'x'};
    Module m = decode(module({type_void, one_function, one_empty_body, name_section(bad)}));
    EXPECT_EQ(m.name, "");
    EXPECT_TRUE(m.function_names.empty());
    EXPECT_EQ(m.function_display_name(0), "func[0]");
    // Bad UTF-8 in a function name.
    Bytes fn_names = {0x01, 0x00, 0x02, 0xc0, 0x80};
    Bytes bad_utf8 = cat({Bytes{0x01}, leb(fn_names.size()), fn_names});
    m = decode(module({type_void, one_function, one_empty_body, name_section(bad_utf8)}));
    EXPECT_TRUE(m.function_names.empty());
    // Subsections out of order.
    Bytes twice = cat({Bytes{0x00}, leb(2), str("a"), Bytes{0x00}, leb(2), str("b")});
    m = decode(module({name_section(twice)}));
    EXPECT_EQ(m.name, "");
}

TEST(Decoder, JunkAfterLastSection) {
    Bytes b = module({type_void});
    b.push_back(0x01); // a section id without a size
    EXPECT_MALFORMED(b, "unexpected end");
}

TEST(Decoder, KeepsItsOwnCopyOfTheBytes) {
    Bytes b = module({type_void, one_function, one_empty_body});
    Module m = decode(b);
    std::fill(b.begin(), b.end(), 0);
    EXPECT_EQ(m.slice(m.codes[0].body)[0], 0x0b);
}

} // namespace
} // namespace wbpf::wasm
