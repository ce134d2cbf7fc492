#include "c_type_writer.hpp"

#include "gen.hpp"
#include "object_file.hpp"

#include <bpf/btf.h>

#include <algorithm>

namespace wbpf::gen {
namespace {

constexpr int max_depth = 64; // nesting deeper than this is treated as malformed BTF

std::string indentation(int indent) {
    return std::string(static_cast<size_t>(indent) * 4, ' ');
}

void check_depth(int depth) {
    if (depth > max_depth) throw GenError("BTF types nest too deeply (cycle?)");
}

const struct btf_type* type_or_throw(const struct btf* btf, uint32_t type_id) {
    const struct btf_type* type = btf__type_by_id(btf, type_id);
    if (!type) throw GenError("BTF refers to missing type id " + std::to_string(type_id));
    return type;
}

} // namespace

uint32_t CTypeWriter::skip_modifiers(uint32_t type_id) const {
    for (int depth = 0;; ++depth) {
        check_depth(depth);
        const struct btf_type* type = type_or_throw(btf_, type_id);
        if (!btf_is_mod(type) && !btf_is_type_tag(type)) return type_id;
        type_id = type->type;
    }
}

std::string CTypeWriter::name_of(uint32_t type_id) const {
    const struct btf_type* type = type_or_throw(btf_, type_id);
    const char* name = btf__name_by_offset(btf_, type->name_off);
    std::string result = name ? name : "";
    if (!result.empty() && !is_c_identifier(result))
        throw GenError("BTF type name is not a C identifier");
    return result;
}

std::vector<Field> CTypeWriter::members_of(uint32_t type_id) const {
    const struct btf_type* type = type_or_throw(btf_, type_id);
    std::vector<Field> fields;
    const struct btf_member* member = btf_members(type);
    for (uint16_t i = 0; i < btf_vlen(type); ++i, ++member) {
        const char* name = btf__name_by_offset(btf_, member->name_off);
        Field field;
        field.name = name ? name : "";
        if (!field.name.empty() && !is_c_identifier(field.name))
            throw GenError("BTF member name is not a C identifier");
        field.type_id = member->type;
        field.bit_offset = btf_member_bit_offset(type, i);
        field.bitfield_size = btf_member_bitfield_size(type, i);
        fields.push_back(std::move(field));
    }
    return fields;
}

uint64_t CTypeWriter::size_of(uint32_t type_id, int depth) {
    check_depth(depth);
    type_id = skip_modifiers(type_id);
    const struct btf_type* type = type_or_throw(btf_, type_id);
    if (btf_is_typedef(type)) return size_of(type->type, depth + 1);
    if (btf_is_ptr(type)) return 8;
    if (btf_is_int(type) || btf_is_any_enum(type) || btf_is_float(type) || btf_is_composite(type))
        return type->size;
    if (btf_is_array(type)) {
        const struct btf_array* array = btf_array(type);
        return uint64_t{array->nelems} * size_of(array->type, depth + 1);
    }
    throw GenError("type " + std::to_string(type_id) + " has no size (void, function or forward)");
}

uint64_t CTypeWriter::align_of(uint32_t type_id, int depth) {
    check_depth(depth);
    type_id = skip_modifiers(type_id);
    const struct btf_type* type = type_or_throw(btf_, type_id);
    if (btf_is_typedef(type)) return align_of(type->type, depth + 1);
    if (btf_is_ptr(type)) return 8;
    if (btf_is_int(type) || btf_is_any_enum(type) || btf_is_float(type))
        return std::max<uint64_t>(1, std::min<uint64_t>(type->size, 16));
    if (btf_is_array(type)) return align_of(btf_array(type)->type, depth + 1);
    if (btf_is_composite(type)) {
        uint64_t alignment = 1;
        for (const Field& field : members_of(type_id)) {
            if (field.bitfield_size == 0 && field.bit_offset % 8 == 0) {
                uint64_t member_alignment = align_of(field.type_id, depth + 1);
                if ((field.bit_offset / 8) % member_alignment != 0) return 1; // packed
                alignment = std::max(alignment, member_alignment);
            }
        }
        return type->size % alignment == 0 ? alignment : 1;
    }
    throw GenError("type " + std::to_string(type_id) + " has no alignment");
}

std::string CTypeWriter::declaration(uint32_t type_id, const std::string& declarator, int indent,
                                     int depth) {
    check_depth(depth);
    auto with = [&](const std::string& type_text) {
        return declarator.empty() ? type_text : type_text + " " + declarator;
    };
    type_id = skip_modifiers(type_id);
    const struct btf_type* type = type_or_throw(btf_, type_id);
    if (btf_is_typedef(type)) {
        uint32_t target = skip_modifiers(type->type);
        const struct btf_type* target_type = type_or_throw(btf_, target);
        bool anonymous_target = (btf_is_composite(target_type) || btf_is_any_enum(target_type)) &&
                                name_of(target).empty();
        if (anonymous_target && btf_is_composite(target_type)) {
            require_definition(type_id);
            return with(name_of(type_id));
        }
        return declaration(type->type, declarator, indent, depth + 1);
    }
    if (btf_is_ptr(type)) return with("uint64_t");
    if (btf_is_int(type)) {
        uint8_t encoding = btf_int_encoding(type);
        const char* raw_name = btf__name_by_offset(btf_, type->name_off);
        std::string name = raw_name ? raw_name : ""; // "unsigned int": not an identifier
        if (encoding & BTF_INT_BOOL) return with("_Bool");
        if (type->size == 1 && name == "char") return with("char");
        bool is_signed = encoding & BTF_INT_SIGNED;
        switch (type->size) {
        case 1:
        case 2:
        case 4:
        case 8:
            return with(std::string(is_signed ? "int" : "uint") + std::to_string(type->size * 8) +
                        "_t");
        case 16: return with(is_signed ? "__int128" : "unsigned __int128");
        default: throw GenError("integer type of unsupported size " + std::to_string(type->size));
        }
    }
    if (btf_is_any_enum(type)) {
        bool is_signed = btf_kflag(type);
        if (type->size != 1 && type->size != 2 && type->size != 4 && type->size != 8)
            throw GenError("enum of unsupported size");
        std::string name = name_of(type_id);
        std::string comment = name.empty() ? "" : " /* enum " + name + " */";
        return with(std::string(is_signed ? "int" : "uint") + std::to_string(type->size * 8) +
                    "_t" + comment);
    }
    if (btf_is_float(type)) {
        if (type->size == 4) return with("float");
        if (type->size == 8) return with("double");
        throw GenError("floating-point type of unsupported size");
    }
    if (btf_is_array(type)) {
        const struct btf_array* array = btf_array(type);
        return declaration(array->type, declarator + "[" + std::to_string(array->nelems) + "]",
                           indent, depth + 1);
    }
    if (btf_is_composite(type)) {
        std::string keyword = btf_is_struct(type) ? "struct" : "union";
        std::string name = name_of(type_id);
        if (!name.empty()) {
            require_definition(type_id);
            return with(keyword + " " + name);
        }
        return with(record(keyword, "", members_of(type_id), type->size, indent, nullptr));
    }
    if (btf_is_fwd(type))
        throw GenError("incomplete type '" + name_of(type_id) + "' used by value");
    throw GenError("type " + std::to_string(type_id) + " cannot be a member (void or function)");
}

std::string CTypeWriter::record(const std::string& keyword, const std::string& tag,
                                const std::vector<Field>& fields, uint64_t size, int indent,
                                std::string* asserts) {
    bool is_union = keyword == "union";
    // A member at an offset its wasm32 alignment does not allow means the BPF side was packed.
    bool packed = false;
    uint64_t alignment = 1;
    for (const Field& field : fields) {
        if (field.bitfield_size != 0) continue;
        if (field.bit_offset % 8 != 0) throw GenError("member '" + field.name + "' is misaligned");
        uint64_t member_alignment = align_of(field.type_id);
        if ((field.bit_offset / 8) % member_alignment != 0) packed = true;
        alignment = std::max(alignment, member_alignment);
    }
    if (size % alignment != 0) packed = true;

    std::string body;
    std::string inner = indentation(indent + 1);
    uint64_t end = 0; // in bits
    unsigned pad_count = 0;
    auto pad_to = [&](uint64_t byte_offset) {
        uint64_t current = (end + 7) / 8;
        if (byte_offset > current) {
            body += inner + "uint8_t __pad" + std::to_string(pad_count++) + "[" +
                    std::to_string(byte_offset - current) + "];\n";
        }
    };
    for (const Field& field : fields) {
        uint64_t field_end;
        if (field.bitfield_size != 0) {
            // Both compilers place bitfields of the same fixed-width types identically.
            std::string decl = declaration(field.type_id, field.name, indent + 1, 0);
            body += inner + decl + " : " + std::to_string(field.bitfield_size) + ";\n";
            field_end = field.bit_offset + field.bitfield_size;
        } else {
            uint64_t offset = field.bit_offset / 8;
            if (!is_union) {
                if (offset * 8 < end) throw GenError("member '" + field.name + "' overlaps");
                pad_to(offset);
            }
            body += inner + declaration(field.type_id, field.name, indent + 1, 0) + ";\n";
            field_end = (offset + size_of(field.type_id)) * 8;
        }
        end = is_union ? std::max(end, field_end) : field_end;
    }
    if ((end + 7) / 8 > size) throw GenError("members of '" + tag + "' exceed its size");
    if (is_union) {
        if ((end + 7) / 8 < size)
            body += inner + "uint8_t __pad" + std::to_string(pad_count++) + "[" +
                    std::to_string(size) + "];\n";
    } else {
        pad_to(size);
    }

    std::string head = keyword + (tag.empty() ? "" : " " + tag);
    std::string text = head + " {\n" + body + indentation(indent) + "}";
    if (packed) text += " __attribute__((packed))";

    if (asserts && !tag.empty()) {
        std::string type_name = keyword + " " + tag;
        *asserts += "_Static_assert(sizeof(" + type_name + ") == " + std::to_string(size) + ", \"" +
                    type_name + ": size differs from the BPF side\");\n";
        for (const Field& field : fields) {
            if (field.bitfield_size != 0 || field.name.empty()) continue;
            *asserts += "_Static_assert(__builtin_offsetof(" + type_name + ", " + field.name +
                        ") == " + std::to_string(field.bit_offset / 8) + ", \"" + type_name + "." +
                        field.name + ": offset differs from the BPF side\");\n";
        }
    }
    return text;
}

void CTypeWriter::require_definition(uint32_t type_id) {
    type_id = skip_modifiers(type_id);
    auto state = states_.find(type_id);
    if (state != states_.end()) {
        if (state->second == State::in_progress)
            throw GenError("type '" + name_of(type_id) + "' contains itself");
        return;
    }
    states_[type_id] = State::in_progress;
    const struct btf_type* type = type_or_throw(btf_, type_id);
    std::string name = name_of(type_id);
    std::string definition;
    std::string guard;
    if (btf_is_composite(type)) {
        std::string keyword = btf_is_struct(type) ? "struct" : "union";
        if (name.empty()) throw GenError("cannot define an anonymous " + keyword + " by itself");
        guard = "WBPF_DEFINED_" + keyword + "_" + name;
        std::string asserts;
        // record() emits the dependencies into definitions_ before this text is appended.
        definition =
            record(keyword, name, members_of(type_id), type->size, 0, &asserts) + ";\n" + asserts;
    } else if (btf_is_any_enum(type)) {
        if (name.empty()) throw GenError("cannot define an anonymous enum by itself");
        guard = "WBPF_DEFINED_enum_" + name;
        definition = "enum " + name + " {\n";
        for (uint16_t i = 0; i < btf_vlen(type); ++i) {
            const char* value_name;
            std::string value;
            if (btf_is_enum(type)) {
                const struct btf_enum* e = btf_enum(type) + i;
                value_name = btf__name_by_offset(btf_, e->name_off);
                value = btf_kflag(type) ? std::to_string(e->val)
                                        : std::to_string(static_cast<uint32_t>(e->val)) + "U";
            } else {
                const struct btf_enum64* e = btf_enum64(type) + i;
                value_name = btf__name_by_offset(btf_, e->name_off);
                uint64_t raw = btf_enum64_value(e);
                value = btf_kflag(type) ? std::to_string(static_cast<int64_t>(raw)) + "LL"
                                        : std::to_string(raw) + "ULL";
            }
            if (!value_name || !is_c_identifier(value_name))
                throw GenError("enum value name is not a C identifier");
            definition += "    " + std::string(value_name) + " = " + value + ",\n";
        }
        definition += "};\n";
    } else if (btf_is_typedef(type)) {
        if (name.empty()) throw GenError("typedef without a name");
        guard = "WBPF_DEFINED_typedef_" + name;
        uint32_t target = skip_modifiers(type->type);
        const struct btf_type* target_type = type_or_throw(btf_, target);
        if (btf_is_composite(target_type) && name_of(target).empty()) {
            std::string keyword = btf_is_struct(target_type) ? "struct" : "union";
            std::string asserts;
            definition = "typedef " +
                         record(keyword, "", members_of(target), target_type->size, 0, nullptr) +
                         " " + name + ";\n";
            asserts += "_Static_assert(sizeof(" + name +
                       ") == " + std::to_string(target_type->size) + ", \"" + name +
                       ": size differs from the BPF side\");\n";
            definition += asserts;
        } else {
            definition = "typedef " + declaration(type->type, name, 0, 0) + ";\n";
        }
    } else {
        throw GenError("type '" + name + "' is not a struct, union, enum or typedef");
    }
    definitions_ += "#ifndef " + guard + "\n#define " + guard + "\n" + definition + "#endif\n\n";
    states_[type_id] = State::done;
}

} // namespace wbpf::gen
