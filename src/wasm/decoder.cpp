// Binary-format decoder (Wasm 2.0 core, chapter 5). Reads sections into a Module without
// decoding instructions; every count is checked against the bytes left before it is used to
// size anything.
#include "decoder.hpp"

#include "leb128.hpp"

#include <limits>
#include <optional>
#include <string_view>

namespace wbpf::wasm {
namespace {

constexpr uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
constexpr uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};

constexpr const char* section_end_message = "unexpected end of section or function";

enum SectionId : uint8_t {
    custom_id = 0,
    type_id = 1,
    import_id = 2,
    function_id = 3,
    table_id = 4,
    memory_id = 5,
    global_id = 6,
    export_id = 7,
    start_id = 8,
    element_id = 9,
    code_id = 10,
    data_id = 11,
    datacount_id = 12,
};

/// Position of each known section id in the required order (datacount sits between element
/// and code).
constexpr uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

// Opcodes that may appear in a constant expression.
constexpr uint8_t op_end = 0x0b;
constexpr uint8_t op_global_get = 0x23;
constexpr uint8_t op_i32_const = 0x41;
constexpr uint8_t op_i64_const = 0x42;
constexpr uint8_t op_f32_const = 0x43;
constexpr uint8_t op_f64_const = 0x44;
constexpr uint8_t op_ref_null = 0xd0;
constexpr uint8_t op_ref_func = 0xd2;

/// Whether `op` starts some Wasm 2.0 instruction (so a non-constant one in a constant
/// expression is a validation error, while an unknown byte is malformed).
bool is_known_opcode(uint8_t op) {
    return op <= 0x11 || (op >= 0x1a && op <= 0x1c) || (op >= 0x20 && op <= 0x26) ||
           (op >= 0x28 && op <= 0xc4) || (op >= 0xd0 && op <= 0xd2) || op == 0xfc || op == 0xfd;
}

bool is_constant_opcode(uint8_t op) {
    return op == op_global_get || (op >= op_i32_const && op <= op_f64_const) || op == op_ref_null ||
           op == op_ref_func;
}

class Decoder {
public:
    Decoder(Module& module, const DecodeLimits& limits) : m_(module), limits_(limits) {}

    void run() {
        ByteReader r{m_.bytes, 0, "unexpected end"};
        check_header(r);
        uint8_t last_rank = 0;
        while (!r.at_end()) {
            size_t id_offset = r.offset();
            uint8_t id = r.u8();
            uint32_t size = r.u32();
            ByteReader s = r.sub_reader(size, section_end_message);
            if (id == custom_id) {
                custom_section(s);
                continue;
            }
            if (id > datacount_id) r.fail_at("malformed section id", id_offset);
            uint8_t rank = section_rank[id];
            if (rank <= last_rank) r.fail_at("unexpected content after last section", id_offset);
            last_rank = rank;
            known_section(id, s);
            if (!s.at_end()) s.fail("section size mismatch");
        }
        finish(r);
        if (name_section_) parse_name_section(*name_section_);
    }

private:
    static void check_header(ByteReader& r) {
        for (uint8_t b : magic)
            if (r.u8() != b) r.fail_at("magic header not detected", 0);
        for (uint8_t b : version)
            if (r.u8() != b) r.fail_at("unknown binary version", 4);
    }

    void known_section(uint8_t id, ByteReader& s) {
        switch (id) {
        case type_id: type_section(s); break;
        case import_id: import_section(s); break;
        case function_id: function_section(s); break;
        case table_id: table_section(s); break;
        case memory_id: memory_section(s); break;
        case global_id: global_section(s); break;
        case export_id: export_section(s); break;
        case start_id: m_.start = s.u32(); break;
        case element_id: element_section(s); break;
        case datacount_id: m_.data_count = s.u32(); break;
        case code_id: code_section(s); break;
        case data_id: data_section(s); break;
        default: break; // unreachable: ids are range-checked by the caller
        }
    }

    void finish(ByteReader& r) {
        if (!saw_code_ && !m_.functions.empty())
            r.fail("function and code section have inconsistent lengths");
        if (m_.data_count && !saw_data_ && *m_.data_count != 0)
            r.fail("data count and data section have inconsistent lengths");
    }

    // ---- Types ----

    static ValType value_type(ByteReader& r) {
        size_t at = r.offset();
        uint8_t b = r.u8();
        switch (b) {
        case 0x7f:
        case 0x7e:
        case 0x7d:
        case 0x7c:
        case 0x70:
        case 0x6f: return static_cast<ValType>(b);
        case 0x7b: throw UnsupportedError("SIMD is not supported yet");
        default: r.fail_at("malformed value type", at);
        }
    }

    static ValType reference_type(ByteReader& r) {
        size_t at = r.offset();
        uint8_t b = r.u8();
        if (b == 0x70 || b == 0x6f) return static_cast<ValType>(b);
        r.fail_at("malformed reference type", at);
    }

    static Limits limits(ByteReader& r) {
        size_t at = r.offset();
        uint8_t flags = r.u8();
        if (flags > 1) r.fail_at("integer too large", at); // only flags 0 (min) and 1 (min, max)
        Limits l;
        l.min = r.u32();
        if (flags == 1) l.max = r.u32();
        return l;
    }

    static TableType table_type(ByteReader& r) {
        TableType t;
        t.element = reference_type(r);
        t.limits = limits(r);
        return t;
    }

    static GlobalType global_type(ByteReader& r) {
        GlobalType g;
        g.type = value_type(r);
        size_t at = r.offset();
        uint8_t mut = r.u8();
        if (mut > 1) r.fail_at("malformed mutability", at);
        g.is_mutable = mut == 1;
        return g;
    }

    void type_section(ByteReader& s) {
        uint32_t n = s.vector_count(3);
        m_.types.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            size_t at = s.offset();
            if (s.u8() != 0x60) s.fail_at("malformed function type", at);
            FuncType t;
            uint32_t params = s.vector_count(1);
            t.params.reserve(params);
            for (uint32_t j = 0; j < params; ++j)
                t.params.push_back(value_type(s));
            uint32_t results = s.vector_count(1);
            t.results.reserve(results);
            for (uint32_t j = 0; j < results; ++j)
                t.results.push_back(value_type(s));
            m_.types.push_back(std::move(t));
        }
    }

    void import_section(ByteReader& s) {
        uint32_t n = s.vector_count(4);
        m_.imports.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            Import im;
            im.module = s.name();
            im.name = s.name();
            size_t at = s.offset();
            uint8_t kind = s.u8();
            switch (kind) {
            case 0:
                im.kind = ExternKind::function;
                im.function_type = s.u32();
                ++m_.imported_function_count;
                break;
            case 1:
                im.kind = ExternKind::table;
                im.table = table_type(s);
                ++m_.imported_table_count;
                break;
            case 2:
                im.kind = ExternKind::memory;
                im.memory.limits = limits(s);
                ++m_.imported_memory_count;
                break;
            case 3:
                im.kind = ExternKind::global;
                im.global = global_type(s);
                ++m_.imported_global_count;
                break;
            default: s.fail_at("malformed import kind", at);
            }
            m_.imports.push_back(std::move(im));
        }
    }

    void function_section(ByteReader& s) {
        uint32_t n = s.vector_count(1);
        m_.functions.reserve(n);
        for (uint32_t i = 0; i < n; ++i)
            m_.functions.push_back(s.u32());
    }

    void table_section(ByteReader& s) {
        uint32_t n = s.vector_count(3);
        m_.tables.reserve(n);
        for (uint32_t i = 0; i < n; ++i)
            m_.tables.push_back(table_type(s));
    }

    void memory_section(ByteReader& s) {
        uint32_t n = s.vector_count(2);
        m_.memories.reserve(n);
        for (uint32_t i = 0; i < n; ++i)
            m_.memories.push_back(MemoryType{limits(s)});
    }

    // ---- Constant expressions ----

    /// One constant instruction followed by `end`. Non-constant but well-formed instructions
    /// are validation errors, unknown opcodes are malformed.
    ConstExpr const_expr(ByteReader& r) {
        ConstExpr e;
        size_t at = r.offset();
        uint8_t op = r.u8();
        switch (op) {
        case op_i32_const:
            e.type = ValType::i32;
            e.value = Value{r.s32()};
            break;
        case op_i64_const:
            e.type = ValType::i64;
            e.value = Value{r.s64()};
            break;
        case op_f32_const:
            e.type = ValType::f32;
            e.value = Value::from_f32_bits(r.f32_bits());
            break;
        case op_f64_const:
            e.type = ValType::f64;
            e.value = Value::from_f64_bits(r.f64_bits());
            break;
        case op_global_get: {
            e.kind = ConstExpr::Kind::global_get;
            e.index = r.u32();
            // The type is known when the global is already declared (validation rejects the
            // rest); otherwise keep a placeholder.
            if (e.index < m_.global_count()) e.type = m_.global_type(e.index).type;
            break;
        }
        case op_ref_null:
            e.kind = ConstExpr::Kind::ref_null;
            e.type = reference_type(r);
            break;
        case op_ref_func:
            e.kind = ConstExpr::Kind::ref_func;
            e.type = ValType::funcref;
            e.index = r.u32();
            break;
        case op_end: throw ValidationError("type mismatch: empty constant expression");
        default:
            if (is_known_opcode(op)) throw ValidationError("constant expression required");
            r.fail_at("illegal opcode", at);
        }
        at = r.offset();
        op = r.u8();
        if (op != op_end) {
            if (is_constant_opcode(op)) throw ValidationError("type mismatch");
            if (is_known_opcode(op)) throw ValidationError("constant expression required");
            r.fail_at("illegal opcode", at);
        }
        return e;
    }

    void global_section(ByteReader& s) {
        uint32_t n = s.vector_count(3); // type, mutability, end
        m_.globals.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            Global g;
            g.type = global_type(s);
            g.init = const_expr(s);
            m_.globals.push_back(g);
        }
    }

    // ---- Exports, elements ----

    void export_section(ByteReader& s) {
        uint32_t n = s.vector_count(3);
        m_.exports.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            Export ex;
            ex.name = s.name();
            size_t at = s.offset();
            uint8_t kind = s.u8();
            if (kind > 3) s.fail_at("malformed export kind", at);
            ex.kind = static_cast<ExternKind>(kind);
            ex.index = s.u32();
            m_.exports.push_back(std::move(ex));
        }
    }

    void element_section(ByteReader& s) {
        uint32_t n = s.vector_count(1);
        m_.elements.reserve(n);
        for (uint32_t i = 0; i < n; ++i)
            m_.elements.push_back(element_segment(s));
    }

    /// The 8 encodings: bit 0 = passive/declarative, bit 1 = explicit table (active) or
    /// declarative (otherwise), bit 2 = items are expressions rather than function indices.
    ElementSegment element_segment(ByteReader& s) {
        size_t at = s.offset();
        uint32_t flags = s.u32();
        if (flags > 7) s.fail_at("malformed elements segment kind", at);
        ElementSegment seg;
        const bool passive_or_declarative = flags & 1;
        const bool explicit_table_or_declarative = flags & 2;
        const bool expressions = flags & 4;
        if (!passive_or_declarative) {
            seg.mode = SegmentMode::active;
            if (explicit_table_or_declarative) seg.table = s.u32();
            seg.offset = const_expr(s);
        } else {
            seg.mode =
                explicit_table_or_declarative ? SegmentMode::declarative : SegmentMode::passive;
        }
        // Encodings 0 and 4 imply funcref; the others state an element kind or reference type.
        const bool has_type = passive_or_declarative || explicit_table_or_declarative;
        if (has_type) {
            if (expressions) {
                seg.type = reference_type(s);
            } else {
                size_t kind_at = s.offset();
                if (s.u8() != 0x00) s.fail_at("malformed element kind", kind_at);
                seg.type = ValType::funcref;
            }
        }
        uint32_t count = s.vector_count(1);
        seg.items.reserve(count);
        for (uint32_t j = 0; j < count; ++j) {
            if (expressions) {
                seg.items.push_back(const_expr(s));
            } else {
                ConstExpr e;
                e.kind = ConstExpr::Kind::ref_func;
                e.type = ValType::funcref;
                e.index = s.u32();
                seg.items.push_back(e);
            }
        }
        return seg;
    }

    // ---- Code, data ----

    void code_section(ByteReader& s) {
        saw_code_ = true;
        size_t at = s.offset();
        uint32_t n = s.vector_count(1);
        if (n != m_.functions.size())
            s.fail_at("function and code section have inconsistent lengths", at);
        m_.codes.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            size_t size_at = s.offset();
            uint32_t size = s.u32();
            if (size > limits_.max_function_body_size)
                s.fail_at("function body too large", size_at);
            ByteReader f = s.sub_reader(size, section_end_message);
            m_.codes.push_back(function_body(f));
        }
    }

    Code function_body(ByteReader& f) {
        Code c;
        uint32_t groups = f.vector_count(2);
        c.locals.reserve(groups);
        uint64_t total = 0;
        for (uint32_t g = 0; g < groups; ++g) {
            size_t at = f.offset();
            LocalGroup lg;
            lg.count = f.u32();
            lg.type = value_type(f);
            total += lg.count;
            if (total > std::numeric_limits<uint32_t>::max() ||
                total > limits_.max_locals_per_function)
                f.fail_at("too many locals", at);
            c.locals.push_back(lg);
        }
        c.local_count = static_cast<uint32_t>(total);
        if (f.at_end()) f.fail(section_end_message);
        c.body.offset = static_cast<uint32_t>(f.offset());
        c.body.size = static_cast<uint32_t>(f.remaining());
        // Instructions are decoded by the compiler; the one thing checkable without decoding
        // is that the body is terminated.
        f.skip(f.remaining() - 1);
        if (f.u8() != op_end) f.fail("END opcode expected");
        return c;
    }

    void data_section(ByteReader& s) {
        saw_data_ = true;
        size_t at = s.offset();
        uint32_t n = s.vector_count(1);
        if (m_.data_count && *m_.data_count != n)
            s.fail_at("data count and data section have inconsistent lengths", at);
        m_.datas.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            size_t flags_at = s.offset();
            uint32_t flags = s.u32();
            DataSegment d;
            switch (flags) {
            case 0: d.offset = const_expr(s); break;
            case 1: d.mode = SegmentMode::passive; break;
            case 2:
                d.memory = s.u32();
                d.offset = const_expr(s);
                break;
            default: s.fail_at("malformed data segment kind", flags_at);
            }
            size_t len_at = s.offset();
            uint32_t len = s.u32();
            if (len > s.remaining()) s.fail_at("unexpected end of section or function", len_at);
            d.bytes.offset = static_cast<uint32_t>(s.offset());
            d.bytes.size = len;
            s.skip(len);
            m_.datas.push_back(d);
        }
    }

    // ---- Custom sections ----

    void custom_section(ByteReader& s) {
        std::string name = s.name();
        if (name == "name" && !name_section_) name_section_ = s;
        // The payload of any other custom section is opaque to us.
    }

    /// Fills Module::name and Module::function_names. Malformed contents are ignored (the
    /// spec does not let a bad name section make the module invalid).
    void parse_name_section(ByteReader s) {
        try {
            std::string module_name;
            std::vector<std::string> names;
            int last_id = -1;
            while (!s.at_end()) {
                uint8_t id = s.u8();
                uint32_t size = s.u32();
                ByteReader sub = s.sub_reader(size, section_end_message);
                if (static_cast<int>(id) <= last_id) sub.fail("name subsection out of order");
                last_id = id;
                if (id == 0) {
                    module_name = sub.name();
                } else if (id == 1) {
                    names.assign(m_.function_count(), std::string{});
                    uint32_t n = sub.vector_count(2);
                    int64_t last_index = -1;
                    for (uint32_t i = 0; i < n; ++i) {
                        uint32_t index = sub.u32();
                        std::string fn = sub.name();
                        if (static_cast<int64_t>(index) <= last_index)
                            sub.fail("function names out of order");
                        last_index = index;
                        if (index < names.size()) names[index] = std::move(fn);
                    }
                } else {
                    continue; // local names and later subsections: not needed
                }
                if (!sub.at_end()) sub.fail("name subsection size mismatch");
            }
            m_.name = std::move(module_name);
            m_.function_names = std::move(names);
        } catch (const MalformedError&) {
            m_.name.clear();
            m_.function_names.clear();
        }
    }

    Module& m_;
    const DecodeLimits& limits_;
    bool saw_code_ = false;
    bool saw_data_ = false;
    std::optional<ByteReader> name_section_;
};

} // namespace

Module decode_module(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
    // ByteRange offsets are 32-bit.
    if (bytes.size() > std::numeric_limits<uint32_t>::max())
        throw MalformedError("module larger than 4 GiB", 0);
    Module m;
    m.bytes.assign(bytes.begin(), bytes.end());
    Decoder{m, limits}.run();
    return m;
}

} // namespace wbpf::wasm
