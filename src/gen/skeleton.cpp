// `wbpf gen skeleton`: the guest-side skeleton header for one BPF object.
#include "c_type_writer.hpp"
#include "gen.hpp"
#include "object_file.hpp"

#include <bpf/btf.h>
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <set>

namespace wbpf::gen {
namespace {

struct Datasec {
    std::string struct_name; // "NAME__rodata"
    std::string member;      // "rodata"
    uint32_t size = 0;
    std::string definition;
};

struct MapEntry {
    MapInfo info;
    std::string member;
    uint32_t data_offset = 0;
    uint32_t data_size = 0;
    bool writable_after_load = false;
    std::optional<Datasec> datasec;
};

/// bpftool's identifier for a map: internal maps drop the object-name prefix and the leading dot
/// (".rodata.str1" -> "rodata_str1"), and everything outside [A-Za-z0-9_] becomes '_'.
std::string map_identifier(const MapInfo& map) {
    std::string name = map.section.empty() ? map.name : map.section.substr(1);
    for (char& c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    return name;
}

std::string c_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::optional<Datasec> build_datasec(const ObjectFile& object, CTypeWriter& writer,
                                     const std::string& skeleton, const std::string& member,
                                     const std::string& section) {
    const struct btf* btf = object.btf();
    int id = btf__find_by_name_kind(btf, section.c_str(), BTF_KIND_DATASEC);
    if (id <= 0) return std::nullopt;
    const struct btf_type* type = btf__type_by_id(btf, static_cast<uint32_t>(id));
    std::vector<Field> fields;
    const struct btf_var_secinfo* info = btf_var_secinfos(type);
    for (uint16_t i = 0; i < btf_vlen(type); ++i, ++info) {
        const struct btf_type* var = btf__type_by_id(btf, info->type);
        if (!var || !btf_is_var(var)) continue;
        if (btf_var(var)->linkage == BTF_VAR_STATIC) continue; // not part of the skeleton API
        const char* name = btf__name_by_offset(btf, var->name_off);
        if (!name || !is_c_identifier(name))
            throw GenError("variable name in " + section + " is not a C identifier");
        fields.push_back({name, var->type, uint64_t{info->offset} * 8, 0});
    }
    Datasec datasec;
    datasec.struct_name = skeleton + "__" + member;
    datasec.member = member;
    datasec.size = type->size;
    std::string asserts;
    datasec.definition =
        writer.record("struct", datasec.struct_name, fields, type->size, 0, &asserts) + ";\n" +
        asserts;
    return datasec;
}

} // namespace

std::string generate_skeleton(const SkeletonOptions& options) {
    std::string name =
        options.name.empty() ? default_skeleton_name(options.object_path) : options.name;
    if (!is_c_identifier(name))
        throw GenError("skeleton name '" + name + "' is not a C identifier");
    ObjectFile object(options.object_path, name, options.verbose);
    CTypeWriter writer(object.btf());

    std::set<std::string> members;
    std::vector<MapEntry> maps;
    for (const MapInfo& info : object.maps()) {
        MapEntry entry;
        entry.info = info;
        entry.member = map_identifier(info);
        if (!is_c_identifier(entry.member) || !members.insert("map " + entry.member).second)
            throw GenError("map '" + info.name + "' has no unique C identifier");
        if (!info.section.empty() && info.section != ".kconfig") {
            auto section = object.find_section(info.section);
            if (section && section->type != SHT_NOBITS) {
                entry.data_offset = static_cast<uint32_t>(section->file_offset);
                entry.data_size = static_cast<uint32_t>(section->size);
            }
            entry.writable_after_load =
                info.section.rfind(".data", 0) == 0 || info.section.rfind(".bss", 0) == 0;
            entry.datasec = build_datasec(object, writer, name, entry.member, info.section);
        }
        maps.push_back(std::move(entry));
    }

    struct ProgEntry {
        ProgramInfo info;
        ElfSection section;
    };
    std::vector<ProgEntry> programs;
    for (const ProgramInfo& info : object.programs()) {
        if (!is_c_identifier(info.name) || !members.insert("prog " + info.name).second)
            throw GenError("program '" + info.name + "' has no unique C identifier");
        auto section = object.find_section(info.section);
        if (!section) throw GenError("program '" + info.name + "' has no ELF section");
        programs.push_back({info, *section});
    }

    std::string guard = "WBPF_SKEL_" + name + "_H";
    for (char& c : guard)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string out;
    out +=
        "/* Generated by `wbpf gen skeleton` from " + options.object_path + "; do not edit. */\n";
    out += "#ifndef " + guard + "\n#define " + guard + "\n\n";
    out += "#include <stdint.h>\n#include <wbpf/libbpf.h>\n\n";
    out += writer.definitions();
    for (const MapEntry& map : maps)
        if (map.datasec) out += map.datasec->definition + "\n";

    out += "struct " + name + " {\n    struct bpf_object* obj;\n    struct {\n";
    for (const MapEntry& map : maps)
        out += "        struct bpf_map* " + map.member + ";\n";
    out += "    } maps;\n    struct {\n";
    for (const ProgEntry& prog : programs)
        out += "        struct bpf_program* " + prog.info.name + ";\n";
    out += "    } progs;\n    struct {\n";
    for (const ProgEntry& prog : programs)
        out += "        struct bpf_link* " + prog.info.name + ";\n";
    out += "    } links;\n";
    for (const MapEntry& map : maps)
        if (map.datasec)
            out += "    struct " + map.datasec->struct_name + "* " + map.member + ";\n";
    out += "};\n\n";

    const auto& bytes = object.bytes();
    out += "static const unsigned char " + name + "__elf_bytes[" + std::to_string(bytes.size()) +
           "] __attribute__((aligned(8))) = {";
    char hex[8];
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i % 16 == 0) out += "\n   ";
        std::snprintf(hex, sizeof hex, " 0x%02x,", bytes[i]);
        out += hex;
    }
    out += "\n};\n\n";

    out += "static const struct wbpf_map_desc " + name + "__map_descs[] = {\n";
    for (const MapEntry& map : maps) {
        uint32_t datasec_size = 0;
        if (map.datasec) datasec_size = std::max(map.datasec->size, map.info.value_size);
        out += "    {" + c_string(map.info.name) + ", " +
               (map.info.section.empty() ? "NULL" : c_string(map.info.section)) + ", " +
               std::to_string(map.info.key_size) + ", " + std::to_string(map.info.value_size) +
               ", " + std::to_string(map.data_offset) + ", " + std::to_string(map.data_size) +
               ", " + std::to_string(datasec_size) + ", " +
               (map.writable_after_load ? "true" : "false") + "},\n";
    }
    if (maps.empty()) out += "    {NULL, NULL, 0, 0, 0, 0, 0, false},\n";
    out += "};\n\nstatic const struct wbpf_prog_desc " + name + "__prog_descs[] = {\n";
    for (const ProgEntry& prog : programs) {
        uint64_t flags_offset = prog.section.header_offset + offsetof(Elf64_Shdr, sh_flags);
        out += "    {" + c_string(prog.info.name) + ", " + c_string(prog.info.section) + ", " +
               std::to_string(prog.section.index) + ", " + std::to_string(flags_offset) + "},\n";
    }
    if (programs.empty()) out += "    {NULL, NULL, 0, 0},\n";
    out += "};\n\nstatic const struct wbpf_object_desc " + name + "__desc = {\n    " +
           c_string(name) + ", " + name + "__elf_bytes, " + std::to_string(bytes.size()) + ", " +
           name + "__map_descs, " + std::to_string(maps.size()) + ", " + name + "__prog_descs, " +
           std::to_string(programs.size()) + ",\n};\n\n";

    const std::string skel = "struct " + name + "* skel";
    // __detach: the kernel links live until the object is closed (see <wbpf/libbpf.h>).
    out += "static inline void " + name + "__detach(" + skel + ") {\n";
    for (const ProgEntry& prog : programs) {
        const std::string link = "skel->links." + prog.info.name;
        out += "    bpf_link__destroy(" + link + ");\n    " + link + " = NULL;\n";
    }
    out += "    (void)skel;\n}\n\n";
    out += "static inline void " + name + "__destroy(" + skel + ") {\n" +
           "    if (!skel) return;\n    " + name + "__detach(skel);\n" +
           "    bpf_object__close(skel->obj);\n    free(skel);\n}\n\n";

    out += "static inline struct " + name + "* " + name + "__open(void) {\n" + "    " + skel +
           " = (struct " + name + "*)calloc(1, sizeof(*skel));\n" +
           "    if (!skel) {\n        errno = ENOMEM;\n        return NULL;\n    }\n" +
           "    skel->obj = wbpf_object__open(&" + name + "__desc);\n" +
           "    if (!skel->obj) {\n        free(skel);\n        return NULL;\n    }\n";
    for (size_t i = 0; i < maps.size(); ++i) {
        out += "    skel->maps." + maps[i].member + " = &skel->obj->maps[" + std::to_string(i) +
               "];\n";
        if (maps[i].datasec)
            out += "    skel->" + maps[i].member + " = (struct " + maps[i].datasec->struct_name +
                   "*)skel->obj->maps[" + std::to_string(i) + "].datasec;\n";
    }
    for (size_t i = 0; i < programs.size(); ++i)
        out += "    skel->progs." + programs[i].info.name + " = &skel->obj->progs[" +
               std::to_string(i) + "];\n";
    out += "    return skel;\n}\n\n";

    out += "static inline int " + name + "__load(" + skel +
           ") { return bpf_object__load(skel->obj); }\n\n";
    out += "static inline struct " + name + "* " + name + "__open_and_load(void) {\n    " + skel +
           " = " + name + "__open();\n    if (!skel) return NULL;\n    int err = " + name +
           "__load(skel);\n    if (err) {\n        " + name +
           "__destroy(skel);\n        errno = -err;\n        return NULL;\n    }\n" +
           "    return skel;\n}\n\n";

    out += "/* Attaches every autoloaded program that can be attached without a target or has one\n"
           " * set (bpf_program__set_attach_target), like libbpf's skeleton attach. */\n";
    out += "static inline int " + name + "__attach(" + skel + ") {\n";
    for (const ProgEntry& prog : programs) {
        const std::string p = "skel->progs." + prog.info.name;
        const std::string link = "skel->links." + prog.info.name;
        out += "    if (!" + link + " && " + p + "->autoload && (" + p +
               "->attach_target || !wbpf__needs_target(" + p + "->desc->section))) {\n        " +
               link + " = bpf_program__attach(" + p + ");\n        if (!" + link +
               ") return -errno;\n    }\n";
    }
    out += "    (void)skel;\n    return 0;\n}\n\n";
    out += "#endif /* " + guard + " */\n";
    return out;
}

} // namespace wbpf::gen
