// `wbpf doctor`: what this machine offers eBPF tools, probed rather than assumed. Reports
// privileges, the bpf() syscall, kernel BTF, tracefs, memlock, the attach mechanisms tools rely
// on (tracepoints, kprobes, uprobes, fentry/fexit, LSM, perf events) and the program and map
// types the kernel supports, naming what is missing. Exit status 0 when the essentials work
// (privileges, bpf(), BTF), 1 otherwise. Changes nothing on the system: probe programs and maps
// are closed at once, file systems are only mounted in a throwaway private mount namespace.
#include "cli/commands.hpp"

#include "bpf/kernel_features.hpp"
#include "bpf/libbpf_log.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <linux/perf_event.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace wbpf::cli {
namespace {

using bpf::FeatureCheck;

constexpr long tracefs_magic = 0x74726163;
constexpr size_t line_width = 100;

enum class Status { ok, warning, unavailable };

const char* status_word(Status status) {
    switch (status) {
    case Status::ok: return "ok";
    case Status::warning: return "warning";
    case Status::unavailable: return "unavailable";
    }
    return "?";
}

void print_row(Status status, const char* name, const std::string& detail) {
    std::printf("  %-12s %-14s %s\n", status_word(status), name, detail.c_str());
}

/// Prints `words` after `label`, wrapped to the line width with a hanging indent.
void print_wrapped(const char* label, const std::vector<std::string>& words) {
    std::string line = std::string("  ") + label;
    const size_t indent = line.size();
    if (words.empty()) line += " (none)";
    for (const std::string& word : words) {
        if (line.size() + 1 + word.size() > line_width && line.size() > indent) {
            std::printf("%s\n", line.c_str());
            line.assign(indent, ' ');
        }
        line += " " + word;
    }
    std::printf("%s\n", line.c_str());
}

std::string format_size(uint64_t bytes) {
    char text[32];
    if (bytes >= (uint64_t{1} << 20))
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    else
        std::snprintf(text, sizeof text, "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
    return text;
}

struct Check {
    Status status;
    std::string detail;
};

Check check_privileges() {
    using bpf::cap_bpf, bpf::cap_perfmon, bpf::cap_sys_admin;
    uint64_t caps = bpf::effective_capabilities();
    auto has = [&](int cap) { return (caps >> cap) & 1; };
    std::string held;
    for (auto [cap, name] : {std::pair{cap_bpf, "CAP_BPF"}, std::pair{cap_perfmon, "CAP_PERFMON"},
                             std::pair{cap_sys_admin, "CAP_SYS_ADMIN"}})
        if (has(cap)) held += std::string(held.empty() ? "" : " ") + name;
    std::string who = geteuid() == 0 ? "root" : "uid " + std::to_string(geteuid());
    std::string detail = who + "; effective: " +
                         (held.empty() ? "none of CAP_BPF, CAP_PERFMON, "
                                         "CAP_SYS_ADMIN"
                                       : held);
    bool enough = bpf::has_bpf_privileges();
    if (!enough) detail += " (need CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON)";
    return {enough ? Status::ok : Status::unavailable, detail};
}

Check check_bpf_syscall() {
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "wbpf_probe", 4, 4, 1, nullptr);
    if (fd < 0)
        return {Status::unavailable, std::string("cannot create a map: ") + std::strerror(errno)};
    close(fd);
    return {Status::ok, "maps and programs can be created"};
}

Check check_btf() {
    struct stat info {};
    if (stat("/sys/kernel/btf/vmlinux", &info) != 0)
        return {Status::unavailable,
                "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF): CO-RE objects cannot load"};
    return {Status::ok, "/sys/kernel/btf/vmlinux (" +
                            format_size(static_cast<uint64_t>(info.st_size)) +
                            "): CO-RE relocations work"};
}

Check check_tracefs() {
    for (const char* path : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        struct statfs info {};
        if (statfs(path, &info) == 0 && static_cast<long>(info.f_type) == tracefs_magic)
            return {Status::ok, std::string("mounted at ") + path};
    }
    if (bpf::read_kernel_fs_file("tracefs", "/sys/kernel/tracing", "README"))
        return {Status::ok, "not mounted, but mountable (wbpf run mounts it when a tool needs it)"};
    return {Status::warning, "not mounted and cannot be mounted: tracepoints and probes fail"};
}

Check check_memlock() {
    rlimit limit{};
    getrlimit(RLIMIT_MEMLOCK, &limit);
    std::string value = limit.rlim_cur == RLIM_INFINITY ? "unlimited" : format_size(limit.rlim_cur);
    // Linux 5.11 charges BPF memory to memory cgroups; bpf_ktime_get_coarse_ns came with it
    // (libbpf detects the accounting the same way).
    if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_ktime_get_coarse_ns, nullptr) ==
        1)
        return {Status::ok, value + " (not used: the kernel charges BPF memory to memory cgroups)"};
    if (limit.rlim_cur == RLIM_INFINITY) return {Status::ok, value};
    return {Status::warning, value + " (BPF memory counts against it; libbpf raises the limit "
                                     "when it may)"};
}

Check from_feature(const FeatureCheck& check) {
    return {check.available ? Status::ok : Status::unavailable, check.detail};
}

Check check_tracepoints() {
    if (!bpf::program_type_supported(BPF_PROG_TYPE_TRACEPOINT))
        return {Status::unavailable, "tracepoint programs do not load"};
    if (bpf::read_kernel_fs_file("tracefs", "/sys/kernel/tracing", "events/sched/sched_switch/id"))
        return {Status::ok, "tracefs events (sched/sched_switch found)"};
    return {Status::unavailable, "no tracefs event ids (events/*/*/id)"};
}

Check check_program_type(bpf_prog_type type, const char* what) {
    if (bpf::program_type_supported(type)) return {Status::ok, std::string(what) + " load"};
    return {Status::unavailable, std::string(what) + " do not load"};
}

Check check_kprobes() {
    FeatureCheck mechanism = bpf::check_kprobes();
    if (mechanism.available && !bpf::program_type_supported(BPF_PROG_TYPE_KPROBE))
        return {Status::unavailable, "kprobe programs do not load"};
    return from_feature(mechanism);
}

Check check_perf_sampling() {
    if (!bpf::program_type_supported(BPF_PROG_TYPE_PERF_EVENT))
        return {Status::unavailable, "perf_event programs do not load"};
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.freq = 1;
    attr.sample_freq = 49;
    attr.disabled = 1;
    long fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return {Status::unavailable,
                std::string("perf_event_open(cpu-clock) failed: ") + std::strerror(errno)};
    close(static_cast<int>(fd));
    return {Status::ok, "software cpu-clock events open (profile works)"};
}

struct TypeCensus {
    std::vector<std::string> available;
    std::vector<std::string> missing;
};

TypeCensus probe_program_types() {
    TypeCensus census;
    // Only values the UAPI header's enum declares (its last is BPF_PROG_TYPE_SYSCALL in the
    // headers we build with): a larger value is not a valid bpf_prog_type (UBSan says so).
    for (int value = 1; value <= BPF_PROG_TYPE_SYSCALL; ++value) {
        auto type = static_cast<bpf_prog_type>(value);
        const char* name = libbpf_bpf_prog_type_str(type);
        if (!name) continue;
        (bpf::program_type_supported(type) ? census.available : census.missing).push_back(name);
    }
    return census;
}

TypeCensus probe_map_types() {
    TypeCensus census;
    for (int value = 1; value <= BPF_MAP_TYPE_USER_RINGBUF; ++value) {
        auto type = static_cast<bpf_map_type>(value);
        const char* name = libbpf_bpf_map_type_str(type);
        if (!name) continue;
        bool available = libbpf_probe_bpf_map_type(type, nullptr) == 1;
        (available ? census.available : census.missing).push_back(name);
    }
    return census;
}

std::string kernel_description() {
    utsname info{};
    if (uname(&info) != 0) return "unknown kernel";
    return std::string(info.sysname) + " " + info.release + " (" + info.machine + ")";
}

int run_doctor() {
    std::printf("wbpf doctor: %s\n", kernel_description().c_str());
    std::vector<std::string> missing;
    bool essentials = true;

    std::printf("\nessentials\n");
    struct Named {
        const char* name;
        Check check;
        bool essential;
    };
    const Named basics[] = {
        {"privileges", check_privileges(), true},
        {"bpf() syscall", check_bpf_syscall(), true},
        {"BTF", check_btf(), true},
        {"tracefs", check_tracefs(), false},
        {"memlock", check_memlock(), false},
    };
    for (const Named& row : basics) {
        print_row(row.check.status, row.name, row.check.detail);
        if (row.check.status == Status::unavailable) {
            missing.push_back(row.name);
            if (row.essential) essentials = false;
        }
    }

    std::printf("\nattach features\n");
    const Named features[] = {
        {"tracepoints", check_tracepoints(), false},
        {"raw_tp", check_program_type(BPF_PROG_TYPE_RAW_TRACEPOINT, "raw tracepoint programs"),
         false},
        {"tp_btf", from_feature(bpf::check_btf_tracepoints()), false},
        {"kprobes", check_kprobes(), false},
        {"uprobes", from_feature(bpf::check_uprobes()), false},
        {"fentry/fexit", from_feature(bpf::check_trampolines()), false},
        {"LSM", from_feature(bpf::check_lsm()), false},
        {"perf events", check_perf_sampling(), false},
        {"ring buffer",
         libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1
             ? Check{Status::ok, "BPF_MAP_TYPE_RINGBUF maps can be created"}
             : Check{Status::unavailable, "no BPF_MAP_TYPE_RINGBUF (tools fall back to perf "
                                          "buffers, if they can)"},
         false},
    };
    for (const Named& row : features) {
        print_row(row.check.status, row.name, row.check.detail);
        if (row.check.status == Status::unavailable) missing.push_back(row.name);
    }

    TypeCensus programs = probe_program_types();
    std::printf("\nprogram types (%zu of %zu load)\n", programs.available.size(),
                programs.available.size() + programs.missing.size());
    print_wrapped("available:  ", programs.available);
    print_wrapped("unavailable:", programs.missing);

    TypeCensus maps = probe_map_types();
    std::printf("\nmap types (%zu of %zu can be created)\n", maps.available.size(),
                maps.available.size() + maps.missing.size());
    print_wrapped("available:  ", maps.available);
    print_wrapped("unavailable:", maps.missing);

    std::string summary = essentials ? "the essentials work" : "the essentials do NOT work";
    if (!missing.empty()) {
        summary += "; unavailable:";
        for (size_t i = 0; i < missing.size(); ++i)
            summary += (i ? ", " : " ") + missing[i];
    }
    std::printf("\nsummary: %s\n", summary.c_str());
    std::fflush(stdout);
    return essentials ? 0 : 1;
}

} // namespace

CommandAction add_doctor_command(CLI::App& app, const GlobalOptions&) {
    auto verbose = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "doctor", "Check what this kernel offers eBPF tools and name what is missing\n"
                  "(exit 0 when the essentials work: privileges, bpf(), kernel BTF)");
    cmd->add_flag("-v,--verbose", *verbose, "Show libbpf's messages while probing");
    return [verbose]() -> int {
        bpf::route_libbpf_messages(*verbose);
        return run_doctor();
    };
}

} // namespace wbpf::cli
