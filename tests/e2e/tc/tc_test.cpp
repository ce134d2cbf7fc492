// tc end to end against the real kernel: build/examples/tc.wasm runs inside one namespace of a
// NetworkLab, on the ingress of the receiver's veth end or the egress of the sender's; the test
// sends an exact number of UDP datagrams and checks that exactly those are logged, and that no
// program, link or clsact qdisc is left after the run.
#include "netns.hpp"
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> tc_programs = {"tc_log"};
constexpr uint16_t test_port = 47002;
constexpr size_t payload_size = 40;
constexpr unsigned frame_size = 14 + 20 + 8 + payload_size; // eth + IPv4 + UDP

struct PacketLine {
    std::string direction, interface, protocol, source, destination;
    unsigned length = 0;
};

std::vector<PacketLine> parse_packets(const std::string& output) {
    std::vector<PacketLine> lines;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        PacketLine line;
        if (!(fields >> line.direction >> line.interface >> line.protocol >> line.source >>
              line.destination >> line.length))
            continue;
        if (line.direction == "ingress" || line.direction == "egress") lines.push_back(line);
    }
    return lines;
}

size_t count_packets(const std::string& output, const std::string& direction,
                     const std::string& source, const std::string& destination) {
    size_t n = 0;
    for (const PacketLine& line : parse_packets(output))
        if (line.direction == direction && line.protocol == "UDP" && line.source == source &&
            line.destination == destination && line.length == frame_size)
            ++n;
    return n;
}

/// The "N packets logged on IFACE DIR, M lost" summary line's N and M, or {-1, -1}.
std::pair<long, long> logged_and_lost(const std::string& output) {
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        long logged = -1, lost = -1;
        char interface[32], direction[16];
        if (std::sscanf(text.c_str(), "%ld packets logged on %31s %15[a-z], %ld lost", &logged,
                        interface, direction, &lost) == 4)
            return {logged, lost};
    }
    return {-1, -1};
}

class TcTest : public NetworkToolTest {
protected:
    TcTest() : NetworkToolTest({WBPF_TC_WASM, "DESTINATION", tc_programs}, "tc") {}

    void SetUp() override {
        NetworkToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        qdiscs_before_ = qdiscs(lab_->receiver, lab_->receiver_end().interface);
        sender_qdiscs_before_ = qdiscs(lab_->sender, lab_->sender_end().interface);
    }

    static std::string qdiscs(const NetNamespace& ns, const std::string& interface) {
        CommandResult shown = ns.run({WBPF_TC_BINARY, "qdisc", "show", "dev", interface});
        EXPECT_TRUE(shown.ok()) << shown.output;
        return shown.output;
    }

    /// Checks that the namespaces' qdiscs are what they were before the tool ran.
    void expect_qdiscs_unchanged() {
        std::string receiver = qdiscs(lab_->receiver, lab_->receiver_end().interface);
        std::string sender = qdiscs(lab_->sender, lab_->sender_end().interface);
        EXPECT_EQ(receiver, qdiscs_before_);
        EXPECT_EQ(sender, sender_qdiscs_before_);
        EXPECT_EQ(receiver.find("clsact"), std::string::npos) << receiver;
        EXPECT_EQ(sender.find("clsact"), std::string::npos) << sender;
    }

    /// Sends `count` datagrams sender -> receiver, checks they all arrived; returns the
    /// source endpoint "10.77.0.1:PORT".
    std::string send_and_receive(int count) {
        UniqueFd receiver = lab_->receiver.udp_socket(lab_->receiver_end().ipv4, test_port);
        UniqueFd sender = lab_->sender.udp_socket(lab_->sender_end().ipv4, 0);
        EXPECT_EQ(send_udp(sender, lab_->receiver_end().ipv4, test_port, count, payload_size),
                  count);
        EXPECT_EQ(receive_udp(receiver, count, 5s), count) << "datagrams lost on the veth pair";
        return lab_->sender_end().ipv4 + ":" + std::to_string(local_port(sender));
    }

    std::string destination() const {
        return lab_->receiver_end().ipv4 + ":" + std::to_string(test_port);
    }

    /// SIGINT, then checks the exit status and that the programs and links are gone.
    void stop_and_check(ChildProcess& tc, const std::set<uint32_t>& loaded) {
        tc.signal(SIGINT);
        ASSERT_TRUE(exited(tc.wait(10s), 0, tc));
        EXPECT_TRUE(released(loaded)) << "program or link left after SIGINT";
        expect_qdiscs_unchanged();
    }

    std::string qdiscs_before_, sender_qdiscs_before_;
};

TEST_F(TcTest, IngressLogsExactlyTheSentPackets) {
    auto before = programs();
    auto tc = start_in(lab_->receiver, {"-i", lab_->receiver_end().interface + ":ingress"});
    ASSERT_TRUE(tc);
    auto loaded = loaded_since(before);
    ASSERT_EQ(loaded.size(), 1u) << "tc_log is not loaded";

    constexpr int sent = 20;
    std::string source = send_and_receive(sent);
    bool seen = tc->wait_for_output(
        [&](const std::string& out) {
            return count_packets(out, "ingress", source, destination()) >= sent;
        },
        10s);
    EXPECT_TRUE(seen) << tc->output();
    stop_and_check(*tc, loaded);
    EXPECT_EQ(count_packets(tc->output(), "ingress", source, destination()),
              static_cast<size_t>(sent))
        << tc->output();
    // The lab has no other IP traffic (static neighbours, no IPv6): the summary is exact too.
    auto [logged, lost] = logged_and_lost(tc->output());
    EXPECT_EQ(logged, sent) << tc->output();
    EXPECT_EQ(lost, 0) << tc->output();
}

TEST_F(TcTest, EgressWithPortFilterLogsExactlyTheSentPackets) {
    auto before = programs();
    auto tc = start_in(lab_->sender, {"-T", "-P", std::to_string(test_port), "-i",
                                      lab_->sender_end().interface + ":egress"});
    ASSERT_TRUE(tc);
    auto loaded = loaded_since(before);
    ASSERT_EQ(loaded.size(), 1u) << "tc_log is not loaded";

    constexpr int sent = 17;
    std::string source = send_and_receive(sent);
    // Traffic to other ports is filtered out in the kernel.
    UniqueFd other_receiver = lab_->receiver.udp_socket(lab_->receiver_end().ipv4, test_port + 1);
    UniqueFd other_sender = lab_->sender.udp_socket(lab_->sender_end().ipv4, 0);
    ASSERT_EQ(send_udp(other_sender, lab_->receiver_end().ipv4, test_port + 1, 5), 5);
    ASSERT_EQ(receive_udp(other_receiver, 5, 5s), 5);

    // With -T every line starts with a TIME column: strip it before parsing.
    auto without_time = [](const std::string& out) {
        std::istringstream in(out);
        std::string line, result;
        while (std::getline(in, line))
            result += (line.size() > 9 ? line.substr(9) : line) + "\n";
        return result;
    };
    bool seen = tc->wait_for_output(
        [&](const std::string& out) {
            return count_packets(without_time(out), "egress", source, destination()) >= sent;
        },
        10s);
    EXPECT_TRUE(seen) << tc->output();
    stop_and_check(*tc, loaded);
    EXPECT_EQ(count_packets(without_time(tc->output()), "egress", source, destination()),
              static_cast<size_t>(sent))
        << tc->output();
    auto [logged, lost] = logged_and_lost(tc->output());
    EXPECT_EQ(logged, sent) << "only port " << test_port << ": " << tc->output();
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(tc->output().rfind("TIME     DIR", 0), 0u) << tc->output();
}

TEST_F(TcTest, SigkillLeavesNoProgramLinkOrQdisc) {
    auto before = programs();
    auto tc = start_in(lab_->receiver, {"-i", lab_->receiver_end().interface});
    ASSERT_TRUE(tc);
    ASSERT_TRUE(sigkill_releases(*tc, before, 1));
    expect_qdiscs_unchanged();
}

TEST_F(TcTest, BadTargetsFailWithOneLine) {
    auto before = programs();
    EXPECT_TRUE(rejects(lab_->receiver.exec_argv(command({"-i", "wbnosuch0:egress"})),
                        "tc: failed to attach to egress of 'wbnosuch0': no such interface", 1));
    auto loaded = loaded_since(before);
    EXPECT_TRUE(loaded.empty() || released(loaded));

    EXPECT_TRUE(rejects(command({"-i", "lo:sideways"}), "invalid target 'lo:sideways'", 1));

    EXPECT_TRUE(prints_help(command({"-h"}), "-i IFACE[:DIR]"));
}

} // namespace
} // namespace wbpf::e2e
