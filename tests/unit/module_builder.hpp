// A tiny test-only WebAssembly binary writer: enough to build the hostile and pathological
// modules the robustness tests need (100,000 nested blocks, 50,000 locals, exact truncations)
// without going through the text format. Bodies are raw instruction bytes; the `op`
// namespace has the few encodings the tests use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbpf::test {

using Bytes = std::vector<uint8_t>;

inline void put_uleb(Bytes& out, uint64_t v) {
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v != 0) byte |= 0x80;
        out.push_back(byte);
    } while (v != 0);
}

inline void put_sleb(Bytes& out, int64_t v) {
    for (;;) {
        const uint8_t byte = v & 0x7f;
        v >>= 7; // arithmetic shift
        const bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        out.push_back(done ? byte : byte | 0x80);
        if (done) return;
    }
}

inline void put_name(Bytes& out, std::string_view name) {
    put_uleb(out, name.size());
    out.insert(out.end(), name.begin(), name.end());
}

inline void append(Bytes& out, const Bytes& more) {
    out.insert(out.end(), more.begin(), more.end());
}

/// Instruction encodings (Wasm 2.0 binary format, section 5.4).
namespace op {
constexpr uint8_t i32 = 0x7f, i64 = 0x7e, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b;
constexpr uint8_t funcref = 0x70, empty_block = 0x40;
constexpr uint8_t unreachable = 0x00, nop = 0x01, end = 0x0b, drop = 0x1a, ret = 0x0f;

inline Bytes block(uint8_t type = empty_block) {
    return {0x02, type};
}
inline Bytes loop(uint8_t type = empty_block) {
    return {0x03, type};
}
inline Bytes br(uint32_t depth) {
    Bytes b{0x0c};
    put_uleb(b, depth);
    return b;
}
inline Bytes br_if(uint32_t depth) {
    Bytes b{0x0d};
    put_uleb(b, depth);
    return b;
}
inline Bytes call(uint32_t function) {
    Bytes b{0x10};
    put_uleb(b, function);
    return b;
}
inline Bytes call_indirect(uint32_t type, uint32_t table = 0) {
    Bytes b{0x11};
    put_uleb(b, type);
    put_uleb(b, table);
    return b;
}
inline Bytes local_get(uint32_t index) {
    Bytes b{0x20};
    put_uleb(b, index);
    return b;
}
inline Bytes i32_const(int32_t v) {
    Bytes b{0x41};
    put_sleb(b, v);
    return b;
}
inline Bytes i32_store(uint32_t offset = 0) { // align 2
    Bytes b{0x36, 0x02};
    put_uleb(b, offset);
    return b;
}
inline Bytes i32_load(uint32_t offset = 0) {
    Bytes b{0x28, 0x02};
    put_uleb(b, offset);
    return b;
}
inline Bytes memory_grow() {
    return {0x40, 0x00};
}
/// v128.const with 16 zero bytes (SIMD prefix 0xfd, opcode 12).
inline Bytes v128_const_zero() {
    Bytes b{0xfd, 0x0c};
    b.resize(b.size() + 16, 0);
    return b;
}
} // namespace op

inline void append(Bytes& out, uint8_t byte) {
    out.push_back(byte);
}

/// Concatenates instruction encodings (Bytes or single opcode bytes) into one body.
template <typename... Parts>
Bytes code(const Parts&... parts) {
    Bytes out;
    (append(out, parts), ...);
    return out;
}

/// Builds a module section by section. Add imports before defining functions (function
/// indices count imports first, as in the binary format).
class ModuleBuilder {
public:
    struct Local {
        uint32_t count;
        uint8_t type;
    };

    uint32_t type(std::vector<uint8_t> params, std::vector<uint8_t> results) {
        types_.push_back({std::move(params), std::move(results)});
        return static_cast<uint32_t>(types_.size() - 1);
    }
    uint32_t import_function(std::string module, std::string name, uint32_t type_index) {
        Bytes entry;
        put_name(entry, module);
        put_name(entry, name);
        entry.push_back(0x00);
        put_uleb(entry, type_index);
        imports_.push_back(std::move(entry));
        return imported_functions_++;
    }
    /// `body` is the instruction bytes; the final `end` is appended here.
    uint32_t function(uint32_t type_index, Bytes body, std::vector<Local> locals = {}) {
        functions_.push_back(type_index);
        Bytes entry;
        put_uleb(entry, locals.size());
        for (const Local& l : locals) {
            put_uleb(entry, l.count);
            entry.push_back(l.type);
        }
        append(entry, body);
        entry.push_back(op::end);
        bodies_.push_back(std::move(entry));
        return imported_functions_ + static_cast<uint32_t>(functions_.size() - 1);
    }
    void table(uint32_t min, std::optional<uint32_t> max = std::nullopt) {
        Bytes entry{op::funcref};
        put_limits(entry, min, max);
        tables_.push_back(std::move(entry));
    }
    void memory(uint32_t min, std::optional<uint32_t> max = std::nullopt) {
        Bytes entry;
        put_limits(entry, min, max);
        memories_.push_back(std::move(entry));
    }
    /// A mutable i32 global with a constant initial value.
    void global_i32(int32_t value) {
        Bytes entry{op::i32, 0x01};
        append(entry, op::i32_const(value));
        entry.push_back(op::end);
        globals_.push_back(std::move(entry));
    }
    void export_function(std::string name, uint32_t index) { put_export(name, 0x00, index); }
    void export_memory(std::string name, uint32_t index = 0) { put_export(name, 0x02, index); }
    void start(uint32_t function_index) { start_ = function_index; }
    /// Active funcref segment for table 0 at a constant offset.
    void elements(int32_t offset, std::vector<uint32_t> functions) {
        Bytes entry{0x00};
        append(entry, op::i32_const(offset));
        entry.push_back(op::end);
        put_uleb(entry, functions.size());
        for (uint32_t f : functions)
            put_uleb(entry, f);
        elements_.push_back(std::move(entry));
    }
    /// Active data segment for memory 0 at a constant offset.
    void data(int32_t offset, std::string_view bytes) {
        Bytes entry{0x00};
        append(entry, op::i32_const(offset));
        entry.push_back(op::end);
        put_name(entry, bytes);
        datas_.push_back(std::move(entry));
    }
    void custom(std::string name, Bytes payload) {
        customs_.push_back({std::move(name), std::move(payload)});
    }

    /// The binary, sections in the required order.
    Bytes build() {
        section_ends_.clear();
        Bytes out{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
        section_ends_.push_back(out.size());
        Bytes types;
        for (const auto& [params, results] : types_) {
            types.push_back(0x60);
            put_uleb(types, params.size());
            append(types, params);
            put_uleb(types, results.size());
            append(types, results);
        }
        put_vector_section(out, 1, types, types_.size());
        put_vector_section(out, 2, concat(imports_), imports_.size());
        Bytes funcs;
        for (uint32_t t : functions_)
            put_uleb(funcs, t);
        put_vector_section(out, 3, funcs, functions_.size());
        put_vector_section(out, 4, concat(tables_), tables_.size());
        put_vector_section(out, 5, concat(memories_), memories_.size());
        put_vector_section(out, 6, concat(globals_), globals_.size());
        put_vector_section(out, 7, concat(exports_), exports_.size());
        if (start_) {
            Bytes s;
            put_uleb(s, *start_);
            put_section(out, 8, s);
        }
        put_vector_section(out, 9, concat(elements_), elements_.size());
        if (!datas_.empty()) {
            Bytes count;
            put_uleb(count, datas_.size());
            put_section(out, 12, count);
        }
        Bytes codes;
        for (const Bytes& body : bodies_) {
            put_uleb(codes, body.size());
            append(codes, body);
        }
        put_vector_section(out, 10, codes, bodies_.size());
        put_vector_section(out, 11, concat(datas_), datas_.size());
        for (const auto& [name, payload] : customs_) {
            Bytes c;
            put_name(c, name);
            append(c, payload);
            put_section(out, 0, c);
        }
        return out;
    }

    /// Offsets where the header and each section of the last build() end: the only prefix
    /// lengths of the binary that can be complete modules.
    const std::vector<size_t>& section_ends() const { return section_ends_; }

private:
    static void put_limits(Bytes& out, uint32_t min, std::optional<uint32_t> max) {
        out.push_back(max ? 0x01 : 0x00);
        put_uleb(out, min);
        if (max) put_uleb(out, *max);
    }
    void put_export(std::string_view name, uint8_t kind, uint32_t index) {
        Bytes entry;
        put_name(entry, name);
        entry.push_back(kind);
        put_uleb(entry, index);
        exports_.push_back(std::move(entry));
    }
    static Bytes concat(const std::vector<Bytes>& parts) {
        Bytes out;
        for (const Bytes& p : parts)
            append(out, p);
        return out;
    }
    void put_section(Bytes& out, uint8_t id, const Bytes& payload) {
        out.push_back(id);
        put_uleb(out, payload.size());
        append(out, payload);
        section_ends_.push_back(out.size());
    }
    void put_vector_section(Bytes& out, uint8_t id, const Bytes& items, size_t count) {
        if (count == 0) return;
        Bytes payload;
        put_uleb(payload, count);
        append(payload, items);
        put_section(out, id, payload);
    }

    std::vector<std::pair<Bytes, Bytes>> types_;
    std::vector<Bytes> imports_;
    uint32_t imported_functions_ = 0;
    std::vector<uint32_t> functions_;
    std::vector<Bytes> bodies_;
    std::vector<Bytes> tables_, memories_, globals_, exports_, elements_, datas_;
    std::optional<uint32_t> start_;
    std::vector<std::pair<std::string, Bytes>> customs_;
    std::vector<size_t> section_ends_;
};

} // namespace wbpf::test
