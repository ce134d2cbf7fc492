#include "bpf/perf_event_attach.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <charconv>
#include <vector>

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wbpf::bpf {
namespace {

constexpr uint64_t max_pid = 0x3fffffff; // above PID_MAX_LIMIT
constexpr uint64_t max_cpu = 8191;       // NR_CPUS limit

std::optional<uint64_t> parse_decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

/// The links of one attachment; destroying a perf_event link also closes its event fd.
class PerfEventAttachment final : public Attachment {
public:
    ~PerfEventAttachment() override {
        for (bpf_link* link : links_)
            bpf_link__destroy(link);
    }
    void add(bpf_link* link) { links_.push_back(link); }

private:
    std::vector<bpf_link*> links_;
};

/// A software cpu-clock sampling event, or -errno.
int open_sampling_event(const PerfEventTarget& target, int cpu) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.freq = target.frequency ? 1 : 0;
    if (target.frequency)
        attr.sample_freq = target.value;
    else
        attr.sample_period = target.value;
    attr.disabled = 1; // enabled by the attach, once the program is in place
    long fd = syscall(SYS_perf_event_open, &attr, target.pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return fd >= 0 ? static_cast<int>(fd) : -errno;
}

/// Opens one event on `cpu` and attaches `prog` to it, handing the link to `attachment`.
int attach_one(bpf_program* prog, const PerfEventTarget& target, int cpu,
               PerfEventAttachment& attachment) {
    int fd = open_sampling_event(target, cpu);
    if (fd < 0) return fd;
    errno = 0;
    bpf_link* link = bpf_program__attach_perf_event(prog, fd);
    if (!link) {
        int error = errno ? -errno : -EINVAL;
        close(fd);
        return error;
    }
    attachment.add(link);
    return 0;
}

} // namespace

std::optional<PerfEventTarget> parse_perf_event_target(std::string_view text) {
    PerfEventTarget target;
    bool first = true, seen_pid = false, seen_cpu = false;
    while (true) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        size_t equals = item.find('=');
        if (equals == std::string_view::npos) return std::nullopt;
        std::string_view key = item.substr(0, equals);
        auto value = parse_decimal(item.substr(equals + 1));
        if (!value) return std::nullopt;
        if (first) {
            if (key == "freq" && *value >= 1 && *value <= max_sample_frequency)
                target.frequency = true;
            else if (key == "period" && *value >= min_sample_period_ns &&
                     *value <= (uint64_t{1} << 62))
                target.frequency = false;
            else
                return std::nullopt;
            target.value = *value;
            first = false;
        } else if (key == "pid" && !seen_pid && *value >= 1 && *value <= max_pid) {
            target.pid = static_cast<int>(*value);
            seen_pid = true;
        } else if (key == "cpu" && !seen_cpu && *value <= max_cpu) {
            target.cpu = static_cast<int>(*value);
            seen_cpu = true;
        } else {
            return std::nullopt;
        }
        if (comma == std::string_view::npos) return target;
        text.remove_prefix(comma + 1);
    }
}

AttachResult attach_perf_event(bpf_program* prog, std::string_view text) {
    auto target = parse_perf_event_target(text);
    if (!target) return {-EINVAL, nullptr};
    auto attachment = std::make_unique<PerfEventAttachment>();

    if (target->cpu >= 0 || target->pid > 0) { // one event: that CPU and/or that thread
        int error = attach_one(prog, *target, target->cpu, *attachment);
        if (error != 0) return {error, nullptr};
        return {0, std::move(attachment)};
    }
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return {cpus < 0 ? cpus : -ENODEV, nullptr};
    int attached = 0;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        int error = attach_one(prog, *target, cpu, *attachment);
        if (error == -ENODEV) continue; // possible but offline
        if (error != 0) return {error, nullptr};
        ++attached;
    }
    if (attached == 0) return {-ENODEV, nullptr};
    return {0, std::move(attachment)};
}

} // namespace wbpf::bpf
