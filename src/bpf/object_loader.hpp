// Opening and loading a BPF ELF object handed over by a guest, with one-line diagnostics.
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct bpf_object;

namespace wbpf::bpf {

/// The name libbpf should give an object opened from memory, so internal maps get the names
/// a skeleton expects: the base name of the first "<name>.bpf.c" source file recorded in the
/// object's debug info or BTF (e.g. "bootstrap" -> "bootstra.rodata", as bpftool names them),
/// sanitized to [A-Za-z0-9_]; "wbpf_object" if there is none.
std::string derive_object_name(std::span<const uint8_t> elf);

/// Opens and loads the object in `elf` (untrusted bytes; copied). On failure returns nullptr
/// after printing one line on stderr: a verifier rejection names the program
/// ("wbpf: program 'x' rejected by the kernel verifier (run with -v for the log)"), a program
/// type the kernel lacks names the feature. Mounts tracefs/debugfs first when the object has
/// tracing programs.
bpf_object* load_bpf_object(std::span<const uint8_t> elf, bool verbose);

} // namespace wbpf::bpf
