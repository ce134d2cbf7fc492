#include "bpf/attachment.hpp"

#include "bpf/attach_target.hpp"
#include "bpf/kernel_features.hpp"
#include "bpf/perf_event_attach.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace wbpf::bpf {
namespace {

constexpr long cgroup2_magic = 0x63677270;
// tcx attach types (Linux 6.6), newer than the installed UAPI headers.
constexpr int tcx_ingress = 46;
constexpr int tcx_egress = 47;

class LinkAttachment final : public Attachment {
public:
    explicit LinkAttachment(bpf_link* link) : link_(link) {}
    ~LinkAttachment() override { bpf_link__destroy(link_); }

private:
    bpf_link* link_;
};

/// A file descriptor whose closing detaches: a raw BPF link or a packet socket.
class FdAttachment final : public Attachment {
public:
    explicit FdAttachment(int fd) : fd_(fd) {}
    ~FdAttachment() override { close(fd_); }

private:
    int fd_;
};

/// A classic netlink tc filter (kernels without tcx). Not fd-based, so removed explicitly,
/// together with the clsact qdisc if we created it.
class TcFilterAttachment final : public Attachment {
public:
    TcFilterAttachment(bpf_tc_hook hook, bpf_tc_opts attached, bool created_hook)
        : hook_(hook), attached_(attached), created_hook_(created_hook) {}
    ~TcFilterAttachment() override {
        bpf_tc_opts filter{};
        filter.sz = sizeof filter;
        filter.handle = attached_.handle;
        filter.priority = attached_.priority;
        bpf_tc_detach(&hook_, &filter);
        if (created_hook_) {
            hook_.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
            bpf_tc_hook_destroy(&hook_);
        }
    }

private:
    bpf_tc_hook hook_;
    bpf_tc_opts attached_;
    bool created_hook_;
};

AttachResult failure(int error) {
    return {error < 0 ? error : -EINVAL, nullptr};
}

AttachResult from_link(bpf_link* link) {
    if (!link) return failure(errno ? -errno : -EINVAL);
    return {0, std::make_unique<LinkAttachment>(link)};
}

int interface_index(std::string_view name) {
    if (!is_valid_interface_name(name)) return -EINVAL;
    unsigned index = if_nametoindex(std::string(name).c_str());
    return index ? static_cast<int>(index) : -ENODEV;
}

bool is_cgroup_program(bpf_prog_type type) {
    switch (type) {
    case BPF_PROG_TYPE_CGROUP_SKB:
    case BPF_PROG_TYPE_CGROUP_SOCK:
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case BPF_PROG_TYPE_SOCK_OPS:
    case BPF_PROG_TYPE_CGROUP_DEVICE:
    case BPF_PROG_TYPE_CGROUP_SYSCTL:
    case BPF_PROG_TYPE_CGROUP_SOCKOPT: return true;
    default: return false;
    }
}

AttachResult attach_cgroup(bpf_program* prog, std::string_view path) {
    if (path.find('\0') != std::string_view::npos) return failure(-EINVAL);
    int dir = open(std::string(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return failure(-errno);
    struct statfs info {};
    if (fstatfs(dir, &info) != 0 || static_cast<long>(info.f_type) != cgroup2_magic) {
        close(dir);
        return failure(-EINVAL);
    }
    AttachResult result = from_link(bpf_program__attach_cgroup(prog, dir));
    close(dir); // the link holds its own reference to the cgroup
    return result;
}

AttachResult attach_xdp(bpf_program* prog, std::string_view interface) {
    int index = interface_index(interface);
    if (index < 0) return failure(index);
    return from_link(bpf_program__attach_xdp(prog, index));
}

AttachResult attach_tc(bpf_program* prog, std::string_view text) {
    auto target = parse_tc_target(text);
    if (!target) return failure(-EINVAL);
    int index = interface_index(target->interface);
    if (index < 0) return failure(index);
    int prog_fd = bpf_program__fd(prog);

    // tcx links (Linux 6.6+) go away with their fd, even if wbpf is killed.
    int link = bpf_link_create(
        prog_fd, index, static_cast<bpf_attach_type>(target->egress ? tcx_egress : tcx_ingress),
        nullptr);
    if (link >= 0) return {0, std::make_unique<FdAttachment>(link)};

    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = index;
    hook.attach_point = target->egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
    int error = bpf_tc_hook_create(&hook);
    bool created = error == 0;
    if (error != 0 && error != -EEXIST) return failure(error);
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.prog_fd = prog_fd;
    error = bpf_tc_attach(&hook, &opts);
    if (error != 0) {
        if (created) bpf_tc_hook_destroy(&hook);
        return failure(error);
    }
    return {0, std::make_unique<TcFilterAttachment>(hook, opts, created)};
}

AttachResult attach_socket_filter(bpf_program* prog, std::string_view interface) {
    int index = interface_index(interface);
    if (index < 0) return failure(index);
    // Protocol 0 receives nothing until bind(), so no packet bypasses the filter.
    int sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock < 0) return failure(-errno);
    int prog_fd = bpf_program__fd(prog);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = index;
    if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof prog_fd) != 0 ||
        bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        int error = -errno;
        close(sock);
        return failure(error);
    }
    return {0, std::make_unique<FdAttachment>(sock)};
}

AttachResult attach_uprobe(bpf_program* prog, std::string_view text, bool retprobe) {
    auto target = parse_uprobe_target(text);
    if (!target) return failure(-EINVAL);
    bpf_uprobe_opts opts{};
    opts.sz = sizeof opts;
    opts.retprobe = retprobe;
    opts.func_name = target->symbol.empty() ? nullptr : target->symbol.c_str();
    return from_link(bpf_program__attach_uprobe_opts(prog, target->pid, target->binary.c_str(),
                                                     target->offset, &opts));
}

AttachResult attach_to_target(bpf_program* prog, std::string_view target,
                              std::string_view section) {
    bpf_prog_type type = bpf_program__type(prog);
    if (is_cgroup_program(type)) return attach_cgroup(prog, target);
    switch (type) {
    case BPF_PROG_TYPE_XDP: return attach_xdp(prog, target);
    case BPF_PROG_TYPE_SCHED_CLS: return attach_tc(prog, target);
    case BPF_PROG_TYPE_SOCKET_FILTER: return attach_socket_filter(prog, target);
    case BPF_PROG_TYPE_PERF_EVENT: return attach_perf_event(prog, target);
    case BPF_PROG_TYPE_KPROBE:
        if (is_uprobe_section(section))
            return attach_uprobe(prog, target, is_uretprobe_section(section));
        return failure(-EINVAL);
    default: return failure(-EINVAL);
    }
}

} // namespace

AttachResult attach_program(bpf_program* prog, std::optional<std::string_view> target,
                            bool verbose) {
    const char* name = bpf_program__name(prog);
    const char* section_name = bpf_program__section_name(prog);
    std::string_view section = section_name ? section_name : "";
    if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE && is_kprobe_section(section) &&
        !kprobes_available()) {
        std::fprintf(stderr,
                     "wbpf: cannot attach program '%s': kprobes are not available in this "
                     "kernel\n",
                     name);
        return failure(-EOPNOTSUPP);
    }
    if (bpf_program__fd(prog) < 0) return failure(-EBADF); // not loaded (autoload off)

    errno = 0;
    AttachResult result = target && !target->empty() ? attach_to_target(prog, *target, section)
                                                     : from_link(bpf_program__attach(prog));
    if (result.error != 0 && verbose)
        std::fprintf(stderr, "wbpf: cannot attach program '%s'%s%.*s: %s\n", name,
                     target && !target->empty() ? " to " : "",
                     static_cast<int>(target ? target->size() : 0), target ? target->data() : "",
                     std::strerror(-result.error));
    return result;
}

} // namespace wbpf::bpf
