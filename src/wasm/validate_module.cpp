// Module-level validation (Wasm 2.0 core, section 3.4), everything but function bodies.
#include "validate_module.hpp"

#include "error.hpp"

#include <string>
#include <string_view>
#include <unordered_set>

namespace wbpf::wasm {
namespace {

[[noreturn]] void invalid(const std::string& message) {
    throw ValidationError(message);
}

std::string indexed(std::string_view what, uint32_t index) {
    return std::string{what} + " " + std::to_string(index);
}

class ModuleValidator {
public:
    ModuleValidator(const Module& module, std::vector<bool>& declared_refs)
        : m_(module), refs_(declared_refs) {}

    void run() {
        refs_.assign(m_.function_count(), false);
        for (const Import& im : m_.imports)
            check_import(im);
        for (uint32_t type : m_.functions)
            check_type_index(type);
        for (const TableType& t : m_.tables)
            check_table(t);
        for (const MemoryType& mem : m_.memories)
            check_memory(mem);
        if (m_.memory_count() > 1) invalid("multiple memories");
        for (const Global& g : m_.globals) {
            check_const_expr(g.init, g.type.type);
            declare(g.init);
        }
        check_exports();
        if (m_.start) check_start(*m_.start);
        for (const ElementSegment& seg : m_.elements)
            check_element(seg);
        for (const DataSegment& d : m_.datas)
            check_data(d);
    }

private:
    void check_type_index(uint32_t index) const {
        if (index >= m_.types.size()) invalid(indexed("unknown type", index));
    }

    static void check_limits(const Limits& l) {
        if (l.max && l.min > *l.max) invalid("size minimum must not be greater than maximum");
    }

    static void check_table(const TableType& t) { check_limits(t.limits); }

    static void check_memory(const MemoryType& mem) {
        if (mem.limits.min > max_pages || (mem.limits.max && *mem.limits.max > max_pages))
            invalid("memory size must be at most 65536 pages (4GiB)");
        check_limits(mem.limits);
    }

    void check_import(const Import& im) const {
        switch (im.kind) {
        case ExternKind::function: check_type_index(im.function_type); break;
        case ExternKind::table: check_table(im.table); break;
        case ExternKind::memory: check_memory(im.memory); break;
        case ExternKind::global: break; // mutable globals may be imported (Wasm 2.0)
        }
    }

    /// Type of `e`, or a ValidationError if it refers to something not allowed in a constant
    /// expression. Only imported globals are visible to global.get here (Wasm 2.0).
    ValType const_expr_type(const ConstExpr& e) const {
        switch (e.kind) {
        case ConstExpr::Kind::constant:
        case ConstExpr::Kind::ref_null: return e.type;
        case ConstExpr::Kind::ref_func:
            if (e.index >= m_.function_count()) invalid(indexed("unknown function", e.index));
            return ValType::funcref;
        case ConstExpr::Kind::global_get: {
            if (e.index >= m_.imported_global_count) invalid(indexed("unknown global", e.index));
            GlobalType g = m_.global_type(e.index);
            if (g.is_mutable) invalid("constant expression required");
            return g.type;
        }
        }
        invalid("constant expression required");
    }

    void check_const_expr(const ConstExpr& e, ValType expected) const {
        if (const_expr_type(e) != expected) invalid("type mismatch");
    }

    void declare(const ConstExpr& e) {
        if (e.kind == ConstExpr::Kind::ref_func) refs_[e.index] = true;
    }

    void check_exports() {
        std::unordered_set<std::string_view> names;
        names.reserve(m_.exports.size());
        for (const Export& ex : m_.exports) {
            if (!names.insert(ex.name).second) invalid("duplicate export name");
            switch (ex.kind) {
            case ExternKind::function:
                if (ex.index >= m_.function_count()) invalid(indexed("unknown function", ex.index));
                refs_[ex.index] = true;
                break;
            case ExternKind::table:
                if (ex.index >= m_.table_count()) invalid(indexed("unknown table", ex.index));
                break;
            case ExternKind::memory:
                if (ex.index >= m_.memory_count()) invalid(indexed("unknown memory", ex.index));
                break;
            case ExternKind::global:
                if (ex.index >= m_.global_count()) invalid(indexed("unknown global", ex.index));
                break;
            }
        }
    }

    void check_start(uint32_t index) const {
        if (index >= m_.function_count()) invalid(indexed("unknown function", index));
        const FuncType& t = m_.function_type(index);
        if (!t.params.empty() || !t.results.empty()) invalid("start function must be [] -> []");
    }

    void check_element(const ElementSegment& seg) {
        for (const ConstExpr& item : seg.items) {
            check_const_expr(item, seg.type);
            declare(item);
        }
        if (seg.mode != SegmentMode::active) return;
        if (seg.table >= m_.table_count()) invalid(indexed("unknown table", seg.table));
        if (m_.table_type(seg.table).element != seg.type) invalid("type mismatch");
        check_const_expr(seg.offset, ValType::i32);
    }

    void check_data(const DataSegment& d) const {
        if (d.mode != SegmentMode::active) return;
        if (d.memory >= m_.memory_count()) invalid(indexed("unknown memory", d.memory));
        check_const_expr(d.offset, ValType::i32);
    }

    const Module& m_;
    std::vector<bool>& refs_;
};

} // namespace

void validate_module(const Module& module, std::vector<bool>& declared_refs) {
    ModuleValidator{module, declared_refs}.run();
}

} // namespace wbpf::wasm
