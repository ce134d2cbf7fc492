// A BPF ELF object as the generators see it: its bytes, its section table, and libbpf's view of
// it (opened, never loaded, so no privileges are needed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct bpf_object;
struct btf;

namespace wbpf::gen {

struct ElfSection {
    std::string name;
    uint32_t index = 0;
    uint32_t type = 0;        // SHT_*
    uint64_t flags = 0;       // SHF_*
    uint64_t file_offset = 0; // of the section's bytes (meaningless for SHT_NOBITS)
    uint64_t size = 0;
    uint64_t header_offset = 0; // file offset of this section's Elf64_Shdr
};

struct MapInfo {
    std::string name;    // libbpf's name, e.g. "rb" or "bootstra.rodata"
    std::string section; // ".rodata", ".bss", ... for internal maps; empty otherwise
    uint32_t type = 0;
    uint32_t key_size = 0;
    uint32_t value_size = 0;
};

struct ProgramInfo {
    std::string name;
    std::string section;
};

class ObjectFile {
public:
    /// Reads and inspects `path`; throws GenError with a one-line reason. `object_name` is the
    /// name libbpf gives the object, which prefixes internal map names.
    ObjectFile(const std::string& path, const std::string& object_name, bool verbose);
    ~ObjectFile();
    ObjectFile(const ObjectFile&) = delete;
    ObjectFile& operator=(const ObjectFile&) = delete;

    const std::vector<uint8_t>& bytes() const { return bytes_; }
    const std::vector<ElfSection>& sections() const { return sections_; }
    const std::vector<MapInfo>& maps() const { return maps_; }
    const std::vector<ProgramInfo>& programs() const { return programs_; }
    /// The object's BTF after libbpf's fix-ups (datasec sizes and variable offsets filled in).
    const struct btf* btf() const { return btf_; }

    std::optional<ElfSection> find_section(const std::string& name) const;

private:
    void parse_elf();
    void open_with_libbpf(const std::string& object_name, bool verbose);

    std::vector<uint8_t> bytes_;
    std::vector<ElfSection> sections_;
    std::vector<MapInfo> maps_;
    std::vector<ProgramInfo> programs_;
    struct bpf_object* object_ = nullptr;
    const struct btf* btf_ = nullptr;
};

/// True when `s` is a non-empty C identifier; names from untrusted BTF are checked with it.
bool is_c_identifier(const std::string& s);

} // namespace wbpf::gen
