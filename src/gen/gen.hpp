// Code generators behind `wbpf gen skeleton` and `wbpf gen types`.
//
// Both read a BPF ELF object (clang -target bpf output, BTF required) and write C headers for
// wasm32 guests built against the SDK in sdk/c:
//
//   wbpf::gen::SkeletonOptions options;
//   options.object_path = "bootstrap.bpf.o";
//   options.output_path = "bootstrap.skel.h";          // empty: stdout
//   int status = wbpf::gen::run_skeleton(options);     // 0, or 1 after a one-line message
//
// The run_* functions are what the CLI calls: they print "wbpf gen: <reason>" to stderr on failure
// and return a process exit status. The generate_* functions return the header text and throw
// GenError instead, for callers and tests that want the text.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace wbpf::gen {

/// Any reason a header cannot be generated (unreadable file, malformed ELF or BTF, a type that
/// cannot be expressed for wasm32). The message is one line.
class GenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SkeletonOptions {
    std::string object_path;
    /// Skeleton name: prefix of `struct NAME` and `NAME__open()`. Empty: derived from the file
    /// name like bpftool does ("bootstrap.bpf.o" -> "bootstrap_bpf").
    std::string name;
    /// Where to write the header; empty means stdout.
    std::string output_path;
    /// Show libbpf's messages while the object is inspected.
    bool verbose = false;
};

struct TypesOptions {
    std::string object_path;
    /// BTF type names to emit ("event", "struct event", "enum kind", a typedef name), with
    /// everything they depend on. Empty: every named struct, union and enum of the object.
    std::vector<std::string> type_names;
    std::string output_path;
    bool verbose = false;
};

/// Skeleton header text: the object embedded as bytes, map and program tables, datasec structs
/// laid out for wasm32, and NAME__open/__load/__open_and_load/__attach/__detach/__destroy.
std::string generate_skeleton(const SkeletonOptions& options);

/// Types header text: the requested BTF types with fixed-width integers, explicit padding and
/// _Static_assert on sizes and offsets, valid C for both the BPF and the wasm32 compiler.
std::string generate_types(const TypesOptions& options);

/// CLI entry points: generate, write the output, and return 0; or print one line and return 1.
int run_skeleton(const SkeletonOptions& options);
int run_types(const TypesOptions& options);

/// The default skeleton name for an object path, bpftool's rule: base name without ".o", every
/// character that cannot appear in a C identifier replaced by '_'.
std::string default_skeleton_name(const std::string& object_path);

} // namespace wbpf::gen
