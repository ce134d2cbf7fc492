#include "bpf/kernel_features.hpp"

#include <bpf/libbpf.h>

#include <map>

#include <unistd.h>

namespace wbpf::bpf {
namespace {

bool starts_with_family(std::string_view section, std::string_view family) {
    if (!section.starts_with(family)) return false;
    if (section.size() == family.size()) return true;
    char next = section[family.size()];
    return next == '/' || next == '.';
}

bool program_type_available(bpf_prog_type type) {
    static std::map<bpf_prog_type, bool> cache;
    auto found = cache.find(type);
    if (found != cache.end()) return found->second;
    bool available = libbpf_probe_bpf_prog_type(type, nullptr) == 1;
    cache.emplace(type, available);
    return available;
}

std::string feature_name(bpf_prog_type type, bpf_attach_type attach) {
    switch (type) {
    case BPF_PROG_TYPE_TRACING:
        switch (attach) {
        case BPF_TRACE_FENTRY: return "fentry programs";
        case BPF_TRACE_FEXIT: return "fexit programs";
        case BPF_MODIFY_RETURN: return "fmod_ret programs";
        case BPF_TRACE_RAW_TP: return "BTF tracepoints (tp_btf)";
        case BPF_TRACE_ITER: return "BPF iterators";
        default: return "BPF tracing programs";
        }
    case BPF_PROG_TYPE_LSM: return "BPF LSM programs";
    case BPF_PROG_TYPE_EXT: return "freplace programs";
    case BPF_PROG_TYPE_KPROBE: return "kprobes";
    default: {
        const char* name = libbpf_bpf_prog_type_str(type);
        return std::string(name ? name : "this program type") + " programs";
    }
    }
}

} // namespace

std::string missing_program_feature(const bpf_program* prog) {
    bpf_prog_type type = bpf_program__type(prog);
    if (program_type_available(type)) return {};
    return feature_name(type, bpf_program__expected_attach_type(prog));
}

bool kprobes_available() {
    static int available = -1;
    if (available < 0) {
        available = access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
                    access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
                    access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
    }
    return available == 1;
}

bool is_kprobe_section(std::string_view section) {
    return starts_with_family(section, "kprobe") || starts_with_family(section, "kretprobe") ||
           starts_with_family(section, "ksyscall") || starts_with_family(section, "kretsyscall");
}

bool is_uprobe_section(std::string_view section) {
    return starts_with_family(section, "uprobe") || is_uretprobe_section(section);
}

bool is_uretprobe_section(std::string_view section) {
    return starts_with_family(section, "uretprobe");
}

} // namespace wbpf::bpf
