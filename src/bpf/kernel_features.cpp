#include "bpf/kernel_features.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace wbpf::bpf {
namespace {

bool starts_with_family(std::string_view section, std::string_view family) {
    if (!section.starts_with(family)) return false;
    if (section.size() == family.size()) return true;
    char next = section[family.size()];
    return next == '/' || next == '.';
}

bool exists(const char* path) {
    return access(path, F_OK) == 0;
}

/// The running kernel's BTF, loaded once (nullptr if it has none).
const btf* vmlinux_btf() {
    static const std::unique_ptr<btf, void (*)(btf*)> loaded(btf__load_vmlinux_btf(), btf__free);
    return loaded.get();
}

/// The BTF id of the first of `names` the kernel has as `kind`, with its name; {0, ""} if none.
std::pair<int, std::string_view> find_btf_id(std::initializer_list<std::string_view> names,
                                             int kind) {
    const btf* kernel = vmlinux_btf();
    if (!kernel) return {0, ""};
    for (std::string_view name : names) {
        int id = btf__find_by_name_kind(kernel, std::string(name).c_str(), kind);
        if (id > 0) return {id, name};
    }
    return {0, ""};
}

/// Loads "r0 = 0; exit" as `type` with `attach` against BTF id `btf_id`: an fd or -errno.
int load_minimal_program(bpf_prog_type type, bpf_attach_type attach, int btf_id) {
    const bpf_insn program[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0}, // r0 = 0
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    bpf_prog_load_opts opts{};
    opts.sz = sizeof opts;
    opts.expected_attach_type = attach;
    opts.attach_btf_id = static_cast<__u32>(btf_id);
    int fd = bpf_prog_load(type, "wbpf_probe", "GPL", program, 2, &opts);
    return fd >= 0 ? fd : (errno ? -errno : -EINVAL);
}

/// Loads a minimal program against the first kernel BTF entity of `targets` found.
FeatureCheck probe_btf_program(bpf_prog_type type, bpf_attach_type attach,
                               std::initializer_list<std::string_view> targets, int kind,
                               const char* what) {
    if (!vmlinux_btf()) return {false, "no kernel BTF (/sys/kernel/btf/vmlinux)"};
    auto [id, name] = find_btf_id(targets, kind);
    if (id == 0) return {false, std::string("no ") + what + " target found in the kernel BTF"};
    int fd = load_minimal_program(type, attach, id);
    if (fd < 0)
        return {false, std::string(what) + " programs do not load (" + std::strerror(-fd) + ")"};
    FeatureCheck check{true,
                       std::string("a ") + what + " program loads (" + std::string(name) + ")"};
    if (name == "bpf_fentry_test1") { // only called by BPF_PROG_TEST_RUN: safe to attach
        int link = bpf_raw_tracepoint_open(nullptr, fd);
        if (link < 0)
            check = {false, std::string(what) + " programs load but cannot attach (" +
                                std::strerror(errno) + ")"};
        else
            close(link);
    }
    close(fd);
    return check;
}

bool contains_word(std::string_view list, std::string_view word) {
    size_t begin = 0;
    while (begin <= list.size()) {
        size_t end = list.find_first_of(",\n ", begin);
        if (end == std::string_view::npos) end = list.size();
        if (list.substr(begin, end - begin) == word) return true;
        begin = end + 1;
    }
    return false;
}

bool libbpf_type_available(bpf_prog_type type) {
    static std::map<bpf_prog_type, bool> cache;
    auto found = cache.find(type);
    if (found != cache.end()) return found->second;
    bool available = libbpf_probe_bpf_prog_type(type, nullptr) == 1;
    cache.emplace(type, available);
    return available;
}

bool attach_kind_available(bpf_prog_type type, bpf_attach_type attach) {
    switch (type) {
    case BPF_PROG_TYPE_TRACING:
        switch (attach) {
        case BPF_TRACE_FENTRY:
        case BPF_TRACE_FEXIT:
        case BPF_MODIFY_RETURN: return check_trampolines().available;
        case BPF_TRACE_RAW_TP: return check_btf_tracepoints().available;
        default: return program_type_supported(type);
        }
    case BPF_PROG_TYPE_LSM: return check_lsm().available;
    default: return libbpf_type_available(type);
    }
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

/// A perf_event PMU (/sys/bus/event_source/devices/NAME) or a tracefs control file.
FeatureCheck check_probe_mechanism(const char* pmu, const char* events_file) {
    std::string pmu_path = std::string("/sys/bus/event_source/devices/") + pmu + "/type";
    if (exists(pmu_path.c_str())) return {true, std::string("perf_event '") + pmu + "' PMU"};
    if (read_kernel_fs_file("tracefs", "/sys/kernel/tracing", events_file))
        return {true, std::string("tracefs ") + events_file};
    return {false, std::string("no perf_event '") + pmu + "' PMU and no tracefs " + events_file};
}

} // namespace

std::string missing_program_feature(const bpf_program* prog) {
    bpf_prog_type type = bpf_program__type(prog);
    bpf_attach_type attach = bpf_program__expected_attach_type(prog);
    if (attach_kind_available(type, attach)) return {};
    return feature_name(type, attach);
}

bool program_type_supported(bpf_prog_type type) {
    switch (type) {
    case BPF_PROG_TYPE_TRACING:
        return check_btf_tracepoints().available || check_trampolines().available;
    case BPF_PROG_TYPE_LSM: return check_lsm().available;
    default: return libbpf_type_available(type);
    }
}

uint64_t effective_capabilities() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("CapEff:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 16);
    return 0;
}

bool has_bpf_privileges() {
    uint64_t caps = effective_capabilities();
    auto has = [caps](int cap) { return ((caps >> cap) & 1) != 0; };
    return has(cap_sys_admin) || (has(cap_bpf) && has(cap_perfmon));
}

bool kprobes_available() {
    static int available = -1;
    if (available < 0) {
        available = exists("/sys/bus/event_source/devices/kprobe/type") ||
                    exists("/sys/kernel/tracing/kprobe_events") ||
                    exists("/sys/kernel/debug/tracing/kprobe_events");
    }
    return available == 1;
}

FeatureCheck check_kprobes() {
    return check_probe_mechanism("kprobe", "kprobe_events");
}

FeatureCheck check_uprobes() {
    return check_probe_mechanism("uprobe", "uprobe_events");
}

FeatureCheck check_trampolines() {
    static const FeatureCheck result = [] {
        return probe_btf_program(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
                                 {"bpf_fentry_test1", "do_nanosleep", "vfs_read"}, BTF_KIND_FUNC,
                                 "fentry");
    }();
    return result;
}

FeatureCheck check_btf_tracepoints() {
    static const FeatureCheck result = [] {
        return probe_btf_program(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
                                 {"btf_trace_sched_switch", "btf_trace_sys_enter"},
                                 BTF_KIND_TYPEDEF, "tp_btf");
    }();
    return result;
}

FeatureCheck check_lsm() {
    static const FeatureCheck result = [] {
        auto active = read_kernel_fs_file("securityfs", "/sys/kernel/security", "lsm");
        if (active && !contains_word(*active, "bpf"))
            return FeatureCheck{false, "\"bpf\" is not an active LSM (/sys/kernel/security/lsm: " +
                                           std::string(*active) + "; boot with lsm=...,bpf)"};
        FeatureCheck load =
            probe_btf_program(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, {"bpf_lsm_file_open", "bpf_lsm_bpf"},
                              BTF_KIND_FUNC, "LSM");
        load.detail += active ? "; \"bpf\" is an active LSM" : "; active LSMs unknown";
        return load;
    }();
    return result;
}

std::optional<std::string> read_kernel_fs_file(const char* fs_type, const char* mount_point,
                                               const char* file) {
    constexpr size_t max_size = 64 * 1024;
    std::string path = std::string(mount_point) + "/" + file;
    auto read_all = [&](int fd, std::string& out) { // to the end: a writer must not block
        char chunk[4096];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
            if (n > 0 && out.size() < max_size)
                out.append(chunk, std::min(static_cast<size_t>(n), max_size - out.size()));
    };

    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        std::string text;
        read_all(fd, text);
        close(fd);
        return text;
    }
    if (errno != ENOENT) return std::nullopt;

    // Not mounted (or no such file): try in a child with its own mount namespace. The child
    // only makes system calls, so forking from a multi-threaded process is safe.
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return std::nullopt;
    pid_t child = fork();
    if (child < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return std::nullopt;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        if (unshare(CLONE_NEWNS) != 0 ||
            mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            mount(fs_type, mount_point, fs_type, 0, nullptr) != 0)
            _exit(1);
        int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (in < 0) _exit(2);
        char chunk[4096];
        ssize_t n;
        while ((n = read(in, chunk, sizeof chunk)) > 0)
            if (write(pipe_fds[1], chunk, static_cast<size_t>(n)) != n) _exit(3);
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string text;
    read_all(pipe_fds[0], text);
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return text;
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
