// Network namespaces and veth pairs for end-to-end tests of network BPF programs.
//
// Everything is RAII: a NetNamespace deletes itself (and so every interface in it) when it goes
// out of scope, also when a test fails half-way. Commands run through `ip` (iproute2).
//
// A NetworkLab is the usual setting: two fresh namespaces, "sender" and "receiver", joined by one
// veth pair with IPv4 addresses, static neighbour entries (no ARP on the wire) and IPv6 disabled
// (no router solicitations, DAD or MLD), so the only IP packets on the pair are the test's own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wbpf::e2e {

/// A file descriptor closed on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

struct CommandResult {
    int status = -1;    ///< wait status; -1 if the command could not be started
    std::string output; ///< stdout and stderr, interleaved
    bool ok() const;    ///< exited with status 0
};

/// Runs argv (argv[0] a path) to completion and collects its output.
CommandResult run_command(const std::vector<std::string>& argv);

/// Path of iproute2's `ip`.
std::string ip_binary();

/// Why namespace tests cannot run on this machine (not root, no `ip`, no veth support), or an
/// empty string when they can. Probes by creating and deleting a namespace with a veth pair.
std::string netns_unavailable_reason();

/// A name unique to this process and `tag`, at most 15 bytes so it also fits an interface:
/// "wb" + tag (at most 6 bytes used) + the pid.
std::string unique_name(const std::string& tag);

class NetNamespace {
public:
    /// `ip netns add name` and brings `lo` up; throws std::runtime_error with ip's message.
    explicit NetNamespace(std::string name);
    /// `ip netns del`: its interfaces (and their XDP programs, qdiscs) go with it.
    ~NetNamespace();
    NetNamespace(const NetNamespace&) = delete;
    NetNamespace& operator=(const NetNamespace&) = delete;

    const std::string& name() const { return name_; }

    /// argv prefixed with `ip netns exec NAME`: runs in the namespace (ip execs, no fork, so
    /// signals sent to the child's pid reach the command itself).
    std::vector<std::string> exec_argv(const std::vector<std::string>& argv) const;

    /// Runs argv in the namespace to completion.
    CommandResult run(const std::vector<std::string>& argv) const;

    /// `ip -n NAME args...`, e.g. ip({"link", "show", "dev", "veth0"}).
    CommandResult ip(const std::vector<std::string>& args) const;

    /// A socket created inside the namespace (from a helper thread that enters it; the calling
    /// thread never changes namespace). Throws std::runtime_error on failure.
    UniqueFd socket(int domain, int type, int protocol = 0) const;

    /// A UDP socket in the namespace bound to address:port (port 0: any free port).
    UniqueFd udp_socket(const std::string& address, uint16_t port) const;

private:
    std::string name_;
};

struct VethEnd {
    std::string interface; ///< name inside its namespace
    std::string ipv4;      ///< address, the pair shares a /24
    std::string mac;       ///< fixed, so neighbour entries can be static
};

/// A veth pair between two namespaces (end `a` in `ns_a`, `b` in `ns_b`), both ends up with
/// their address and a permanent neighbour entry for the other end. Deleted with the
/// namespaces; the destructor also deletes it explicitly should the namespaces outlive it.
class VethPair {
public:
    VethPair(const NetNamespace& ns_a, VethEnd a, const NetNamespace& ns_b, VethEnd b);
    ~VethPair();
    VethPair(const VethPair&) = delete;
    VethPair& operator=(const VethPair&) = delete;

    const VethEnd& a() const { return a_; }
    const VethEnd& b() const { return b_; }

private:
    const NetNamespace& ns_a_;
    VethEnd a_;
    VethEnd b_;
};

/// Sends `count` UDP datagrams of `payload_size` bytes from `socket` to address:port, one
/// sendto() each; returns how many were sent (a short count means an error).
int send_udp(const UniqueFd& socket, const std::string& address, uint16_t port, int count,
             size_t payload_size = 32);

/// Receives datagrams from `socket` until `expected` arrived or `timeout` passed without one;
/// returns how many arrived.
int receive_udp(const UniqueFd& socket, int expected, std::chrono::milliseconds timeout);

/// The local port a socket is bound to.
uint16_t local_port(const UniqueFd& socket);

/// Two namespaces joined by a veth pair: sender (10.77.0.1 on "wbveth-s") and receiver
/// (10.77.0.2 on "wbveth-r"). Names of the namespaces are unique_name(tag + "s"/"r").
class NetworkLab {
public:
    explicit NetworkLab(const std::string& tag);

    NetNamespace sender;
    NetNamespace receiver;
    VethPair veth; ///< a(): the sender's end, b(): the receiver's end

    const VethEnd& sender_end() const { return veth.a(); }
    const VethEnd& receiver_end() const { return veth.b(); }
};

} // namespace wbpf::e2e
