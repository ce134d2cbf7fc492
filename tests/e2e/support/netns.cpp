#include "netns.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

std::string describe(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& arg : argv)
        text += (text.empty() ? "" : " ") + arg;
    return text;
}

/// Runs argv; throws std::runtime_error with its output unless it succeeds.
void must_run(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    if (!result.ok()) throw std::runtime_error("`" + describe(argv) + "` failed: " + result.output);
}

sockaddr_in ipv4_address(const std::string& address, uint16_t port) {
    sockaddr_in result{};
    result.sin_family = AF_INET;
    result.sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &result.sin_addr) != 1)
        throw std::runtime_error("not an IPv4 address: " + address);
    return result;
}

} // namespace

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) close(fd_);
        fd_ = other.release();
    }
    return *this;
}

bool CommandResult::ok() const {
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

CommandResult run_command(const std::vector<std::string>& argv) {
    CommandResult result;
    int out[2];
    if (argv.empty() || pipe2(out, O_CLOEXEC) != 0) return result;
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        return result;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    char buffer[4096];
    for (;;) {
        ssize_t n = read(out[0], buffer, sizeof buffer);
        if (n > 0) {
            result.output.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = status;
    return result;
}

std::string ip_binary() {
    for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
        if (access(path, X_OK) == 0) return path;
    return "/usr/sbin/ip";
}

std::string netns_unavailable_reason() {
    if (geteuid() != 0) return "needs root to create network namespaces";
    if (access(ip_binary().c_str(), X_OK) != 0) return "iproute2's `ip` is not installed";
    try {
        NetNamespace probe(unique_name("probe"));
        CommandResult veth =
            probe.ip({"link", "add", "wbprobe0", "type", "veth", "peer", "name", "wbprobe1"});
        if (!veth.ok()) return "the kernel cannot create veth pairs: " + veth.output;
    } catch (const std::exception& error) {
        return std::string("cannot create a network namespace: ") + error.what();
    }
    return "";
}

std::string unique_name(const std::string& tag) {
    return "wb" + tag.substr(0, 6) + std::to_string(getpid() % 10000000);
}

NetNamespace::NetNamespace(std::string name) : name_(std::move(name)) {
    // A namespace left by a killed earlier run of the same pid and tag would make `add` fail.
    run_command({ip_binary(), "netns", "del", name_});
    must_run({ip_binary(), "netns", "add", name_});
    try {
        must_run({ip_binary(), "-n", name_, "link", "set", "lo", "up"});
    } catch (...) {
        run_command({ip_binary(), "netns", "del", name_});
        throw;
    }
}

NetNamespace::~NetNamespace() {
    run_command({ip_binary(), "netns", "del", name_});
}

std::vector<std::string> NetNamespace::exec_argv(const std::vector<std::string>& argv) const {
    std::vector<std::string> result = {ip_binary(), "netns", "exec", name_};
    result.insert(result.end(), argv.begin(), argv.end());
    return result;
}

CommandResult NetNamespace::run(const std::vector<std::string>& argv) const {
    return run_command(exec_argv(argv));
}

CommandResult NetNamespace::ip(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {ip_binary(), "-n", name_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

UniqueFd NetNamespace::socket(int domain, int type, int protocol) const {
    int fd = -1;
    std::string error;
    // setns(CLONE_NEWNET) changes only the calling thread; a socket keeps the namespace it was
    // created in, so a short-lived thread can make it while the test's threads stay put.
    std::thread maker([&] {
        std::string path = "/run/netns/" + name_;
        int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns < 0) {
            error = "open " + path + ": " + std::strerror(errno);
            return;
        }
        if (setns(ns, CLONE_NEWNET) != 0) {
            error = std::string("setns: ") + std::strerror(errno);
        } else {
            fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
            if (fd < 0) error = std::string("socket: ") + std::strerror(errno);
        }
        close(ns);
    });
    maker.join();
    if (fd < 0) throw std::runtime_error("socket in namespace " + name_ + ": " + error);
    return UniqueFd(fd);
}

UniqueFd NetNamespace::udp_socket(const std::string& address, uint16_t port) const {
    UniqueFd fd = socket(AF_INET, SOCK_DGRAM);
    sockaddr_in local = ipv4_address(address, port);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        throw std::runtime_error("bind " + address + ":" + std::to_string(port) + " in " + name_ +
                                 ": " + std::strerror(errno));
    return fd;
}

VethPair::VethPair(const NetNamespace& ns_a, VethEnd a, const NetNamespace& ns_b, VethEnd b)
    : ns_a_(ns_a), a_(std::move(a)), b_(std::move(b)) {
    // New interfaces take the namespace's default: no IPv6 on them, hence no RS/DAD/MLD noise.
    for (const NetNamespace* ns : {&ns_a, &ns_b})
        must_run(
            ns->exec_argv({"/usr/sbin/sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1",
                           "net.ipv6.conf.all.disable_ipv6=1"}));
    // Created directly inside the namespaces: the names never appear in the caller's namespace.
    must_run({ip_binary(), "link", "add", a_.interface, "address", a_.mac, "netns", ns_a.name(),
              "type", "veth", "peer", "name", b_.interface, "address", b_.mac, "netns",
              ns_b.name()});
    try {
        for (auto [ns, self, other] : {std::tuple{&ns_a, &a_, &b_}, std::tuple{&ns_b, &b_, &a_}}) {
            must_run({ip_binary(), "-n", ns->name(), "address", "add", self->ipv4 + "/24", "dev",
                      self->interface});
            must_run({ip_binary(), "-n", ns->name(), "link", "set", self->interface, "up"});
            must_run({ip_binary(), "-n", ns->name(), "neigh", "replace", other->ipv4, "lladdr",
                      other->mac, "dev", self->interface, "nud", "permanent"});
        }
    } catch (...) {
        ns_a.ip({"link", "del", a_.interface});
        throw;
    }
}

VethPair::~VethPair() {
    ns_a_.ip({"link", "del", a_.interface}); // deletes both ends; fails harmlessly if gone
}

int send_udp(const UniqueFd& socket, const std::string& address, uint16_t port, int count,
             size_t payload_size) {
    sockaddr_in destination = ipv4_address(address, port);
    std::string payload(payload_size, 'w');
    for (int i = 0; i < count; ++i) {
        ssize_t sent = sendto(socket.get(), payload.data(), payload.size(), 0,
                              reinterpret_cast<sockaddr*>(&destination), sizeof destination);
        if (sent != static_cast<ssize_t>(payload.size())) return i;
    }
    return count;
}

int receive_udp(const UniqueFd& socket, int expected, std::chrono::milliseconds timeout) {
    int received = 0;
    char buffer[65536];
    while (received < expected) {
        pollfd ready{socket.get(), POLLIN, 0};
        int n = poll(&ready, 1, static_cast<int>(timeout.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (recv(socket.get(), buffer, sizeof buffer, MSG_DONTWAIT) >= 0) ++received;
    }
    return received;
}

uint16_t local_port(const UniqueFd& socket) {
    sockaddr_in local{};
    socklen_t size = sizeof local;
    if (getsockname(socket.get(), reinterpret_cast<sockaddr*>(&local), &size) != 0) return 0;
    return ntohs(local.sin_port);
}

NetworkLab::NetworkLab(const std::string& tag)
    : sender(unique_name(tag.substr(0, 5) + "s")), receiver(unique_name(tag.substr(0, 5) + "r")),
      veth(sender, {"wbveth-s", "10.77.0.1", "02:77:00:00:00:01"}, receiver,
           {"wbveth-r", "10.77.0.2", "02:77:00:00:00:02"}) {
}

} // namespace wbpf::e2e
