// sockops end to end against the real kernel: build/examples/sockops.wasm attached to a cgroup v2
// directory the test creates; a forked client is moved into it and makes one TCP connection to a
// listener of the test (outside the cgroup). The tool must report exactly that connection,
// established and closed, with its ports, and release its program and link on SIGINT.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> sockops_programs = {"sockops_track"};

/// Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).
std::string cgroup2_mount() {
    std::ifstream mounts("/proc/self/mounts");
    std::string device, path, type, rest;
    while (mounts >> device >> path >> type && std::getline(mounts, rest))
        if (type == "cgroup2") return path;
    return "";
}

/// A cgroup v2 directory, removed on destruction (its processes moved to the parent first).
class CgroupDir {
public:
    CgroupDir(const std::string& parent, const std::string& name)
        : parent_(parent), path_(parent + "/" + name) {
        rmdir(path_.c_str()); // left by a killed earlier run with the same pid
        if (mkdir(path_.c_str(), 0755) != 0)
            throw std::runtime_error("mkdir " + path_ + ": " + std::strerror(errno));
    }
    ~CgroupDir() {
        std::ifstream procs(path_ + "/cgroup.procs");
        std::string pid;
        while (procs >> pid)
            std::ofstream(parent_ + "/cgroup.procs") << pid << std::endl;
        for (int i = 0; i < 50 && rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i)
            std::this_thread::sleep_for(20ms); // a process that just exited may linger
    }
    CgroupDir(const CgroupDir&) = delete;
    CgroupDir& operator=(const CgroupDir&) = delete;

    const std::string& path() const { return path_; }
    bool add(pid_t pid) const {
        std::ofstream procs(path_ + "/cgroup.procs");
        procs << pid << std::endl;
        return static_cast<bool>(procs);
    }

private:
    std::string parent_, path_;
};

int listen_on_loopback(uint16_t* port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(fd, 4) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
        return -1;
    *port = ntohs(address.sin_port);
    return fd;
}

bool transfer(int fd, size_t size, bool sending) {
    std::string buffer(size, 'c');
    size_t done = 0;
    while (done < size) {
        ssize_t n = sending ? send(fd, buffer.data() + done, size - done, MSG_NOSIGNAL)
                            : recv(fd, buffer.data() + done, size - done, 0);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

/// In a forked child: waits for the go byte on `go`, connects to 127.0.0.1:port, writes its local
/// port to `report`, sends `sent` bytes, reads `received` bytes, closes, exits.
[[noreturn]] void client(int go, int report, uint16_t port, size_t sent, size_t received) {
    char byte;
    if (read(go, &byte, 1) != 1) _exit(2);
    int fd = socket(AF_INET, SOCK_STREAM, 0); // after the move: the socket is the cgroup's
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(3);
    sockaddr_in local{};
    socklen_t size = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size);
    uint16_t local_port = ntohs(local.sin_port);
    if (write(report, &local_port, sizeof local_port) != sizeof local_port) _exit(4);
    if (!transfer(fd, sent, true) || !transfer(fd, received, false)) _exit(5);
    close(fd);
    _exit(0);
}

struct EventLine {
    std::string event, local, remote;
    std::string rx, tx;
};

std::vector<EventLine> parse_events(const std::string& output) {
    std::vector<EventLine> lines;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        EventLine line;
        if (!(fields >> line.event >> line.local >> line.remote >> line.rx >> line.tx)) continue;
        if (line.event == "ACTIVE" || line.event == "PASSIVE" || line.event == "CLOSE")
            lines.push_back(line);
    }
    return lines;
}

class SockopsTest : public ToolTest {
protected:
    SockopsTest() : ToolTest({WBPF_SOCKOPS_WASM, "LIFE-MS\n", sockops_programs}) {}

    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs and create cgroups";
        std::string mount = cgroup2_mount();
        if (mount.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy is mounted";
        ToolTest::SetUp();
        if (HasFatalFailure()) return;
        cgroup_ = std::make_unique<CgroupDir>(mount, "wbpf-sockops-" + std::to_string(getpid()));
    }

    std::unique_ptr<ChildProcess> start() const { return ToolTest::start({"-c", cgroup_->path()}); }

    std::unique_ptr<CgroupDir> cgroup_;
};

TEST_F(SockopsTest, ReportsExactlyTheConnectionOfTheCgroupAndReleasesOnSigint) {
    auto before = programs();
    auto sockops = start();
    ASSERT_TRUE(sockops);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 1)) << "sockops_track, attached by a link";

    uint16_t port = 0;
    int listener = listen_on_loopback(&port);
    ASSERT_GE(listener, 0) << std::strerror(errno);
    // A connection of the test itself (not in the cgroup) must not be reported. Made before the
    // client exists, so that its accept() cannot take the client's connection.
    uint16_t own_port = 0;
    {
        int own = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        ASSERT_EQ(connect(own, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        sockaddr_in local{};
        socklen_t size = sizeof local;
        getsockname(own, reinterpret_cast<sockaddr*>(&local), &size);
        own_port = ntohs(local.sin_port);
        int accepted = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        close(own);
        close(accepted);
    }

    int go[2], report[2];
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
    constexpr size_t sent = 100, replied = 50;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(go[1]); // so that the go read ends if the test gives up before writing
        close(report[0]);
        close(listener);
        client(go[0], report[1], port, sent, replied);
    }
    close(go[0]);
    close(report[1]);
    bool moved = cgroup_->add(pid);
    EXPECT_TRUE(moved) << "cannot move the client into " << cgroup_->path();
    EXPECT_EQ(write(go[1], moved ? "g" : "", moved ? 1 : 0), moved ? 1 : 0);
    close(go[1]);

    uint16_t client_port = 0;
    ASSERT_EQ(read(report[0], &client_port, sizeof client_port),
              static_cast<ssize_t>(sizeof client_port));
    close(report[0]);
    int accepted = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(accepted, 0);
    EXPECT_TRUE(transfer(accepted, sent, false));
    EXPECT_TRUE(transfer(accepted, replied, true));
    int client_status = 0;
    ASSERT_EQ(waitpid(pid, &client_status, 0), pid);
    EXPECT_TRUE(WIFEXITED(client_status) && WEXITSTATUS(client_status) == 0) << client_status;
    close(accepted); // our FIN takes the client from FIN_WAIT2 to TIME_WAIT: its CLOSE event
    close(listener);

    const std::string local = "127.0.0.1:" + std::to_string(client_port);
    const std::string remote = "127.0.0.1:" + std::to_string(port);
    bool closed = sockops->wait_for_output(
        [&](const std::string& out) {
            for (const EventLine& line : parse_events(out))
                if (line.event == "CLOSE" && line.local == local) return true;
            return false;
        },
        10s);
    EXPECT_TRUE(closed) << sockops->output();

    sockops->signal(SIGINT);
    ASSERT_TRUE(exited(sockops->wait(10s), 0, *sockops));

    const std::string out = sockops->output();
    std::vector<EventLine> events = parse_events(out);
    ASSERT_EQ(events.size(), 2u) << "only the client's connection, established and closed: " << out;
    EXPECT_EQ(events[0].event, "ACTIVE");
    EXPECT_EQ(events[0].local, local);
    EXPECT_EQ(events[0].remote, remote);
    EXPECT_EQ(events[1].event, "CLOSE");
    EXPECT_EQ(events[1].local, local);
    EXPECT_EQ(events[1].remote, remote);
    // tcp_sock counts sequence numbers: the payload plus the FIN (received) and SYN + FIN (acked).
    EXPECT_EQ(std::stoull(events[1].rx), replied + 1) << out;
    EXPECT_EQ(std::stoull(events[1].tx), sent + 2) << out;
    EXPECT_EQ(out.find(":" + std::to_string(own_port) + " "), std::string::npos)
        << "a connection outside the cgroup was reported: " << out;
    EXPECT_NE(out.find("1 connections established (1 active, 0 passive), 1 closed, 0 events lost"),
              std::string::npos)
        << out;
    EXPECT_TRUE(released(loaded)) << "program or link left after SIGINT";
}

TEST_F(SockopsTest, SigkillReleasesProgramAndLink) {
    auto before = programs();
    auto sockops = start();
    ASSERT_TRUE(sockops);
    ASSERT_TRUE(sigkill_releases(*sockops, before, 1));
}

TEST_F(SockopsTest, BadCgroupDirectoriesFailWithOneLine) {
    auto before = programs();
    EXPECT_TRUE(rejects(command({"-c", "/tmp"}),
                        "sockops: failed to attach to cgroup '/tmp': not a cgroup v2 directory",
                        1));

    const std::string missing = cgroup_->path() + "/no-such-child";
    EXPECT_TRUE(rejects(command({"-c", missing}), "no such directory", 1));
    auto loaded = loaded_since(before);
    EXPECT_TRUE(loaded.empty() || released(loaded));

    EXPECT_TRUE(prints_help(command({"-h"}), "-c CGROUP_DIR"));
}

} // namespace
} // namespace wbpf::e2e
