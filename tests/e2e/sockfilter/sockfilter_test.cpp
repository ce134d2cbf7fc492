// sockfilter end to end against the real kernel: build/examples/sockfilter.wasm runs inside the
// receiver namespace of a NetworkLab, its socket filter on a packet socket the host binds to the
// receiver's veth end; the test sends and replies with exact numbers of UDP datagrams and checks
// the per-protocol, per-direction counts, and that the program is gone after the run.
#include "netns.hpp"
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

// The kernel keeps 15 bytes of a name; bpftool shows the full one from BTF when it can.
const std::set<std::string> sockfilter_programs = {"sockfilter_count", "sockfilter_coun"};
constexpr uint16_t test_port = 47003;
constexpr size_t payload_size = 24;
constexpr unsigned long long frame_size = 14 + 20 + 8 + payload_size; // eth + IPv4 + UDP

struct Row {
    unsigned long long rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
};

/// Rows by protocol of the final table (after "TOTAL since start") and the interval tables.
struct Tables {
    bool has_total = false;
    std::map<std::string, Row> total;
    std::vector<std::pair<std::string, Row>> intervals;
};

Tables parse_tables(const std::string& output) {
    Tables tables;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("TOTAL since start", 0) == 0) {
            tables.has_total = true;
            continue;
        }
        std::istringstream fields(line);
        std::string protocol;
        Row row;
        if (!(fields >> protocol >> row.rx_packets >> row.rx_bytes >> row.tx_packets >>
              row.tx_bytes))
            continue;
        if (tables.has_total)
            tables.total[protocol] = row;
        else
            tables.intervals.emplace_back(protocol, row);
    }
    return tables;
}

class SockfilterTest : public NetworkToolTest {
protected:
    SockfilterTest()
        : NetworkToolTest({WBPF_SOCKFILTER_WASM, "Hit Ctrl-C to end.\n", sockfilter_programs},
                          "sockf") {}

    /// Sends `count` datagrams from `from` (bound to from_address) to to_address:port in `to`,
    /// and checks they all arrived.
    void send(const NetNamespace& from, const std::string& from_address, const NetNamespace& to,
              const std::string& to_address, uint16_t port, int count) {
        UniqueFd receiver = to.udp_socket(to_address, port);
        UniqueFd sender = from.udp_socket(from_address, 0);
        ASSERT_EQ(send_udp(sender, to_address, port, count, payload_size), count);
        ASSERT_EQ(receive_udp(receiver, count, 5s), count) << "datagrams lost on the veth pair";
    }
};

TEST_F(SockfilterTest, CountsExactlyTheReceivedAndSentPacketsAndReleasesOnSigint) {
    auto before = programs();
    auto sockfilter = start();
    ASSERT_TRUE(sockfilter);
    auto loaded = loaded_since(before);
    ASSERT_EQ(loaded.size(), 1u) << "sockfilter_count is not loaded";

    constexpr int received = 15, replied = 4;
    const std::string sender_ip = lab_->sender_end().ipv4, receiver_ip = lab_->receiver_end().ipv4;
    send(lab_->sender, sender_ip, lab_->receiver, receiver_ip, test_port, received);
    send(lab_->receiver, receiver_ip, lab_->sender, sender_ip, test_port, replied);

    sockfilter->signal(SIGINT);
    ASSERT_TRUE(exited(sockfilter->wait(10s), 0, *sockfilter));
    Tables tables = parse_tables(sockfilter->output());
    ASSERT_TRUE(tables.has_total) << "no summary: " << sockfilter->output();
    ASSERT_TRUE(tables.total.count("IPv4/UDP")) << sockfilter->output();
    const Row& udp = tables.total["IPv4/UDP"];
    EXPECT_EQ(udp.rx_packets, static_cast<unsigned long long>(received)) << sockfilter->output();
    EXPECT_EQ(udp.rx_bytes, received * frame_size) << sockfilter->output();
    EXPECT_EQ(udp.tx_packets, static_cast<unsigned long long>(replied)) << sockfilter->output();
    EXPECT_EQ(udp.tx_bytes, replied * frame_size) << sockfilter->output();
    // Static neighbours and no IPv6 in the lab: nothing else crossed the pair.
    EXPECT_EQ(tables.total.size(), 1u) << sockfilter->output();
    EXPECT_TRUE(released(loaded)) << "program left after SIGINT";
}

TEST_F(SockfilterTest, PortFilterAndIntervalsCountOnlyTheTestPort) {
    constexpr int matching = 9, other = 5;
    auto sockfilter = start({"-T", "-P", std::to_string(test_port), "1", "3"});
    ASSERT_TRUE(sockfilter);
    const std::string sender_ip = lab_->sender_end().ipv4, receiver_ip = lab_->receiver_end().ipv4;
    send(lab_->sender, sender_ip, lab_->receiver, receiver_ip, test_port, matching);
    send(lab_->sender, sender_ip, lab_->receiver, receiver_ip, test_port + 1, other);
    auto status = sockfilter->wait(30s); // three 1 s intervals, then it ends by itself
    ASSERT_TRUE(status) << "did not stop after 3 intervals: " << sockfilter->output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << sockfilter->error_output();
    Tables tables = parse_tables(sockfilter->output());
    ASSERT_TRUE(tables.has_total) << sockfilter->output();
    EXPECT_EQ(tables.total.size(), 1u) << sockfilter->output();
    EXPECT_EQ(tables.total["IPv4/UDP"].rx_packets, static_cast<unsigned long long>(matching))
        << sockfilter->output();
    unsigned long long in_intervals = 0;
    for (const auto& [protocol, row] : tables.intervals)
        if (protocol == "IPv4/UDP") in_intervals += row.rx_packets;
    EXPECT_EQ(in_intervals, static_cast<unsigned long long>(matching)) << sockfilter->output();
}

TEST_F(SockfilterTest, SigkillReleasesTheProgram) {
    auto before = programs();
    auto sockfilter = start();
    ASSERT_TRUE(sockfilter);
    ASSERT_TRUE(sigkill_releases(*sockfilter, before, 1));
}

TEST_F(SockfilterTest, UnknownInterfaceAndBadArgumentsFailWithOneLine) {
    auto before = programs();
    EXPECT_TRUE(
        rejects(lab_->receiver.exec_argv(command({"-i", "wbnosuchif0"})),
                "sockfilter: failed to attach to interface 'wbnosuchif0': no such interface", 1));
    auto loaded = loaded_since(before);
    EXPECT_TRUE(loaded.empty() || released(loaded));

    EXPECT_TRUE(rejects(command({"-i", "lo", "-P", "70000"}), "invalid port '70000'", 1));

    EXPECT_TRUE(prints_help(command({"-h"}), "-P PORT"));
}

} // namespace
} // namespace wbpf::e2e
