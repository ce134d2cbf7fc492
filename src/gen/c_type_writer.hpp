// Writes BTF types as C that compiles to the same layout for the BPF target and for wasm32.
//
// The two targets disagree on `long` and pointer sizes, so every integer becomes a fixed-width
// type of the BTF size, every pointer becomes uint64_t, enums become integers of the enum's size,
// and every gap the BPF compiler left becomes an explicit `uint8_t __padN[k]` field. Each struct
// and union definition is followed by _Static_assert on its size and member offsets, and wrapped
// in `#ifndef WBPF_DEFINED_<kind>_<name>` so headers from `gen types` and `gen skeleton` can be
// included together.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct btf;

namespace wbpf::gen {

/// One member of a record being laid out: a struct member or a datasec variable.
struct Field {
    std::string name; // empty for an anonymous struct/union member
    uint32_t type_id = 0;
    uint64_t bit_offset = 0;
    uint32_t bitfield_size = 0; // 0: not a bitfield
};

class CTypeWriter {
public:
    explicit CTypeWriter(const struct btf* btf) : btf_(btf) {}

    /// Emits the definition of a named struct, union, enum or typedef (and, first, of every
    /// named type it contains by value) unless already emitted. Throws GenError.
    void require_definition(uint32_t type_id);

    /// A record definition "struct TAG { ... }" (TAG may be empty) with explicit padding, and
    /// the _Static_assert lines for it when TAG is non-empty. Throws GenError.
    std::string record(const std::string& keyword, const std::string& tag,
                       const std::vector<Field>& fields, uint64_t size, int indent,
                       std::string* asserts);

    /// All definitions required so far, in dependency order.
    const std::string& definitions() const { return definitions_; }

    uint64_t size_of(uint32_t type_id, int depth = 0);
    uint64_t align_of(uint32_t type_id, int depth = 0);

private:
    enum class State { in_progress, done };

    std::string declaration(uint32_t type_id, const std::string& declarator, int indent, int depth);
    uint32_t skip_modifiers(uint32_t type_id) const;
    std::vector<Field> members_of(uint32_t type_id) const;
    std::string name_of(uint32_t type_id) const;

    const struct btf* btf_;
    std::string definitions_;
    std::map<uint32_t, State> states_;
};

} // namespace wbpf::gen
