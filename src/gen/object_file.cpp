#include "object_file.hpp"

#include "gen.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace wbpf::gen {
namespace {

constexpr size_t max_object_size = 64u << 20; // far above any real BPF object

bool libbpf_messages_wanted = false;

int print_libbpf_message(enum libbpf_print_level level, const char* format, va_list args) {
    if (!libbpf_messages_wanted || level == LIBBPF_DEBUG) return 0;
    return std::vfprintf(stderr, format, args);
}

template <typename T>
T read_struct(const std::vector<uint8_t>& bytes, uint64_t offset, const char* what) {
    if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
        throw GenError(std::string("malformed ELF: ") + what + " out of bounds");
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

} // namespace

bool is_c_identifier(const std::string& s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

ObjectFile::ObjectFile(const std::string& path, const std::string& object_name, bool verbose) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw GenError("cannot open " + path + ": " + std::strerror(errno));
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (bytes_.size() > max_object_size) throw GenError(path + " is too large for a BPF object");
    parse_elf();
    open_with_libbpf(object_name, verbose);
}

ObjectFile::~ObjectFile() {
    if (object_) bpf_object__close(object_);
}

void ObjectFile::parse_elf() {
    auto header = read_struct<Elf64_Ehdr>(bytes_, 0, "ELF header");
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) throw GenError("not an ELF file");
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
        throw GenError("not a 64-bit little-endian ELF object");
    if (header.e_machine != EM_BPF) throw GenError("not a BPF object (e_machine is not EM_BPF)");
    if (header.e_shentsize != sizeof(Elf64_Shdr)) throw GenError("malformed ELF: e_shentsize");
    if (header.e_shnum == 0 || header.e_shstrndx >= header.e_shnum)
        throw GenError("malformed ELF: section table");

    auto header_offset = [&](uint32_t index) {
        return header.e_shoff + uint64_t{index} * sizeof(Elf64_Shdr);
    };
    auto names = read_struct<Elf64_Shdr>(bytes_, header_offset(header.e_shstrndx), "shstrtab");
    if (names.sh_offset > bytes_.size() || bytes_.size() - names.sh_offset < names.sh_size)
        throw GenError("malformed ELF: section name table out of bounds");

    for (uint32_t i = 0; i < header.e_shnum; ++i) {
        auto shdr = read_struct<Elf64_Shdr>(bytes_, header_offset(i), "section header");
        ElfSection section;
        section.index = i;
        section.type = shdr.sh_type;
        section.flags = shdr.sh_flags;
        section.file_offset = shdr.sh_offset;
        section.size = shdr.sh_size;
        section.header_offset = header_offset(i);
        if (shdr.sh_type != SHT_NOBITS && shdr.sh_type != SHT_NULL &&
            (shdr.sh_offset > bytes_.size() || bytes_.size() - shdr.sh_offset < shdr.sh_size))
            throw GenError("malformed ELF: section data out of bounds");
        if (shdr.sh_name >= names.sh_size) throw GenError("malformed ELF: section name");
        const char* start = reinterpret_cast<const char*>(bytes_.data() + names.sh_offset);
        size_t limit = names.sh_size - shdr.sh_name;
        section.name.assign(start + shdr.sh_name, strnlen(start + shdr.sh_name, limit));
        sections_.push_back(std::move(section));
    }
}

void ObjectFile::open_with_libbpf(const std::string& object_name, bool verbose) {
    libbpf_messages_wanted = verbose;
    libbpf_set_print(print_libbpf_message);
    // Not LIBBPF_OPTS: its designated initializers trip clang's missing-field warning in C++.
    bpf_object_open_opts opts{};
    opts.sz = sizeof(opts);
    opts.object_name = object_name.c_str();
    object_ = bpf_object__open_mem(bytes_.data(), bytes_.size(), &opts);
    if (!object_) {
        int err = errno;
        object_ = nullptr;
        throw GenError(std::string("libbpf cannot open the object: ") + std::strerror(err));
    }
    btf_ = bpf_object__btf(object_);
    if (!btf_) throw GenError("the object has no BTF (compile with -g)");

    struct bpf_map* map;
    bpf_object__for_each_map(map, object_) {
        MapInfo info;
        info.name = bpf_map__name(map);
        if (bpf_map__is_internal(map)) {
            auto dot = info.name.find('.');
            if (dot != std::string::npos) info.section = info.name.substr(dot);
        }
        info.type = bpf_map__type(map);
        info.key_size = bpf_map__key_size(map);
        info.value_size = bpf_map__value_size(map);
        maps_.push_back(std::move(info));
    }
    struct bpf_program* program;
    bpf_object__for_each_program(program, object_) {
        programs_.push_back({bpf_program__name(program), bpf_program__section_name(program)});
    }
}

std::optional<ElfSection> ObjectFile::find_section(const std::string& name) const {
    for (const auto& section : sections_)
        if (section.name == name) return section;
    return std::nullopt;
}

} // namespace wbpf::gen
