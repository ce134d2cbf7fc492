#include "bpf/object_loader.hpp"

#include "bpf/kernel_features.hpp"
#include "bpf/kernel_fs.hpp"
#include "bpf/libbpf_log.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include <elf.h>

namespace wbpf::bpf {
namespace {

constexpr size_t max_object_name = 15; // BPF_OBJ_NAME_LEN - 1

/// Cheap screening before libbpf parses anything: a 64-bit little-endian ELF for EM_BPF.
bool looks_like_bpf_elf(std::span<const uint8_t> elf) {
    if (elf.size() < sizeof(Elf64_Ehdr)) return false;
    Elf64_Ehdr header;
    std::memcpy(&header, elf.data(), sizeof header);
    return std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 &&
           header.e_ident[EI_CLASS] == ELFCLASS64 && header.e_ident[EI_DATA] == ELFDATA2LSB &&
           header.e_type == ET_REL && header.e_machine == EM_BPF;
}

bool needs_tracing_filesystems(bpf_object* object) {
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, object) {
        bpf_prog_type type = bpf_program__type(prog);
        if (type == BPF_PROG_TYPE_TRACEPOINT || type == BPF_PROG_TYPE_KPROBE ||
            type == BPF_PROG_TYPE_PERF_EVENT)
            return true;
    }
    return false;
}

/// Fails (with a message) if an autoloaded program needs a program type the kernel lacks.
bool check_program_types(bpf_object* object) {
    if (!has_bpf_privileges()) {
        std::fprintf(stderr, "wbpf: loading BPF programs needs root (CAP_SYS_ADMIN, or CAP_BPF "
                             "with CAP_PERFMON)\n");
        return false;
    }
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, object) {
        if (!bpf_program__autoload(prog)) continue;
        std::string missing = missing_program_feature(prog);
        if (!missing.empty()) {
            std::fprintf(stderr,
                         "wbpf: cannot load program '%s': %s are not available in this kernel\n",
                         bpf_program__name(prog), missing.c_str());
            return false;
        }
    }
    return true;
}

std::string describe_error(int error) {
    char text[128];
    libbpf_strerror(error, text, sizeof text); // also knows libbpf's own codes (4000+)
    return text;
}

void report_load_failure(bpf_object* object, int error, bool verbose) {
    std::string rejected = take_rejected_program();
    const char* hint = verbose ? "" : " (run with -v for the log)";
    if (!rejected.empty() &&
        (error == -EINVAL || error == -EACCES || error == -E2BIG || error == -ENOSPC)) {
        std::fprintf(stderr, "wbpf: program '%s' rejected by the kernel verifier%s\n",
                     rejected.c_str(), hint);
    } else if (!rejected.empty()) {
        std::fprintf(stderr, "wbpf: cannot load program '%s': %s%s\n", rejected.c_str(),
                     describe_error(error).c_str(), hint);
    } else {
        std::fprintf(stderr, "wbpf: cannot load BPF object '%s': %s%s\n", bpf_object__name(object),
                     describe_error(error).c_str(), verbose ? "" : " (run with -v for details)");
    }
}

} // namespace

std::string derive_object_name(std::span<const uint8_t> elf) {
    constexpr std::string_view suffix = ".bpf.c";
    std::string_view text(reinterpret_cast<const char*>(elf.data()), elf.size());
    for (size_t at = text.find(suffix); at != std::string_view::npos;
         at = text.find(suffix, at + 1)) {
        size_t end = at + suffix.size();
        if (end < text.size() && text[end] != '\0') continue; // not the end of a string
        size_t begin = at;
        while (begin > 0 && text[begin - 1] != '\0' && text[begin - 1] != '/')
            --begin;
        std::string name;
        for (char c : text.substr(begin, at - begin)) {
            if (name.size() == max_object_name) break;
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_';
            name.push_back(plain ? c : '_');
        }
        if (!name.empty()) return name;
    }
    return "wbpf_object";
}

bpf_object* load_bpf_object(std::span<const uint8_t> elf, bool verbose) {
    if (!looks_like_bpf_elf(elf)) {
        std::fprintf(stderr, "wbpf: wasm_load_bpf_object: not a BPF ELF object\n");
        return nullptr;
    }
    // libbpf reads the image only while opening; a private copy keeps guest memory out of it.
    std::vector<uint8_t> image(elf.begin(), elf.end());
    std::string name = derive_object_name(image);
    bpf_object_open_opts options{};
    options.sz = sizeof options;
    options.object_name = name.c_str();
    bpf_object* object = bpf_object__open_mem(image.data(), image.size(), &options);
    if (!object) {
        int error = errno ? errno : EINVAL;
        std::fprintf(stderr, "wbpf: cannot open BPF object: %s%s\n", describe_error(error).c_str(),
                     verbose ? "" : " (run with -v for details)");
        return nullptr;
    }
    if (!check_program_types(object)) {
        bpf_object__close(object);
        return nullptr;
    }
    if (needs_tracing_filesystems(object)) ensure_tracing_filesystems(verbose);
    take_rejected_program(); // forget anything from earlier objects
    int error = bpf_object__load(object);
    if (error != 0) {
        report_load_failure(object, error, verbose);
        bpf_object__close(object);
        return nullptr;
    }
    return object;
}

} // namespace wbpf::bpf
