// The decoded, validated and compiled form of a WebAssembly module.
//
// A Module is immutable once built by parse_module() and may be shared by any number of
// instances (std::shared_ptr<const Module>). Function bodies are kept as byte ranges into the
// module's own copy of the binary until compiled; compiled code lives in `compiled`.
#pragma once

#include "types.hpp"
#include "value.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wbpf::wasm {

/// A [offset, offset + size) range into Module::bytes.
struct ByteRange {
    uint32_t offset = 0;
    uint32_t size = 0;
};

/// A constant expression (Wasm 2.0: exactly one instruction followed by `end`).
struct ConstExpr {
    enum class Kind : uint8_t { constant, global_get, ref_null, ref_func };
    Kind kind = Kind::constant;
    ValType type = ValType::i32; ///< the type of the value it produces
    Value value;                 ///< for Kind::constant
    uint32_t index = 0;          ///< global index (global_get) or function index (ref_func)
};

struct Import {
    std::string module;
    std::string name;
    ExternKind kind = ExternKind::function;
    uint32_t function_type = 0; ///< type index, for kind == function
    TableType table;            ///< for kind == table
    MemoryType memory;          ///< for kind == memory
    GlobalType global;          ///< for kind == global
};

struct Export {
    std::string name;
    ExternKind kind = ExternKind::function;
    uint32_t index = 0; ///< in the index space of `kind` (imports first)
};

struct Global {
    GlobalType type;
    ConstExpr init;
};

enum class SegmentMode : uint8_t { active, passive, declarative };

struct ElementSegment {
    SegmentMode mode = SegmentMode::active;
    ValType type = ValType::funcref;
    uint32_t table = 0;           ///< for active segments
    ConstExpr offset;             ///< for active segments (an i32 expression)
    std::vector<ConstExpr> items; ///< each ref.func, ref.null or global.get
};

struct DataSegment {
    SegmentMode mode = SegmentMode::active; ///< never declarative
    uint32_t memory = 0;                    ///< for active segments
    ConstExpr offset;                       ///< for active segments (an i32 expression)
    ByteRange bytes;
};

/// A run of locals of one type, as declared in the code section.
struct LocalGroup {
    uint32_t count = 0;
    ValType type = ValType::i32;
};

/// A function body as decoded: declared locals and the instruction bytes
/// (from after the locals up to and including the final `end`).
struct Code {
    std::vector<LocalGroup> locals;
    uint32_t local_count = 0; ///< sum of the group counts (bounded by the decoder)
    ByteRange body;
};

/// Opaque per-function internal code produced by the compiler (see compiler.hpp).
struct CompiledFunction;
class NativeCode;

/// Limits the decoder enforces on top of the spec, so hostile modules cannot ask for
/// unbounded host memory or time.
struct DecodeLimits {
    uint32_t max_locals_per_function = 50000;
    uint32_t max_function_body_size = 8u << 20;
};

struct Module {
    /// The module's own copy of the binary; ByteRanges point into it.
    std::vector<uint8_t> bytes;

    std::vector<FuncType> types;
    std::vector<Import> imports;
    std::vector<uint32_t> functions;  ///< type index of each *defined* function
    std::vector<TableType> tables;    ///< defined tables
    std::vector<MemoryType> memories; ///< defined memories
    std::vector<Global> globals;      ///< defined globals
    std::vector<Export> exports;
    std::optional<uint32_t> start;
    std::vector<ElementSegment> elements;
    std::optional<uint32_t> data_count;
    std::vector<Code> codes; ///< one per defined function
    std::vector<DataSegment> datas;

    /// Names from the `name` custom section, for diagnostics; empty when absent.
    std::string name;
    std::vector<std::string> function_names; ///< by function index; "" if unnamed

    // Counts of imports per kind, filled by the decoder, so index spaces are cheap to split.
    uint32_t imported_function_count = 0;
    uint32_t imported_table_count = 0;
    uint32_t imported_memory_count = 0;
    uint32_t imported_global_count = 0;

    /// The compiled code of each defined function, index-parallel with `functions`.
    std::vector<std::unique_ptr<CompiledFunction>> compiled;
    /// Native code the JIT made for `compiled` (jit.hpp); nullptr when there is none.
    std::unique_ptr<NativeCode> native;
    /// Translate to native code once an instance gets hot (JitMode::when_hot; jit.hpp).
    bool native_when_hot = false;

    Module();
    ~Module();
    Module(Module&&) noexcept;
    Module& operator=(Module&&) noexcept;

    // Index-space helpers (all indices are in the full space, imports first).
    uint32_t function_count() const noexcept {
        return imported_function_count + static_cast<uint32_t>(functions.size());
    }
    uint32_t table_count() const noexcept {
        return imported_table_count + static_cast<uint32_t>(tables.size());
    }
    uint32_t memory_count() const noexcept {
        return imported_memory_count + static_cast<uint32_t>(memories.size());
    }
    uint32_t global_count() const noexcept {
        return imported_global_count + static_cast<uint32_t>(globals.size());
    }
    /// Type of function `index` (imported or defined). Precondition: index < function_count().
    const FuncType& function_type(uint32_t index) const noexcept;
    TableType table_type(uint32_t index) const noexcept;
    MemoryType memory_type(uint32_t index) const noexcept;
    GlobalType global_type(uint32_t index) const noexcept;

    /// The import entry of imported function/table/memory/global number `index` of that kind.
    const Import& imported(ExternKind kind, uint32_t index) const noexcept;

    std::span<const uint8_t> slice(ByteRange r) const noexcept {
        return {bytes.data() + r.offset, r.size};
    }
    /// Name for diagnostics: the name section's, else "func[N]".
    std::string function_display_name(uint32_t index) const;
};

} // namespace wbpf::wasm
