// sockfilter end to end against the real kernel: build/examples/sockfilter.wasm runs inside the
// receiver namespace of a NetworkLab, its socket filter on a packet socket the host binds to the
// receiver's veth end; the test sends and replies with exact numbers of UDP datagrams and checks
// the per-protocol, per-direction counts, and that the program is gone after the run.
#include "bpf_listing.hpp"
#include "child_process.hpp"
#include "netns.hpp"

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

using namespace std::chrono_literals;

std::string wbpf_binary() {
    const char* override_path = std::getenv("WBPF_E2E_WBPF");
    return override_path && *override_path ? override_path : WBPF_BINARY;
}

// The kernel keeps 15 bytes of a name; bpftool shows the full one from BTF when it can.
const std::set<std::string> sockfilter_programs = {"sockfilter_count", "sockfilter_coun"};
constexpr uint16_t test_port = 47003;
constexpr size_t payload_size = 24;
constexpr unsigned long long frame_size = 14 + 20 + 8 + payload_size; // eth + IPv4 + UDP

bool file_exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::set<uint32_t> new_programs(const std::set<uint32_t>& before) {
    std::set<uint32_t> result;
    for (uint32_t id : bpf_program_ids(sockfilter_programs))
        if (!before.count(id)) result.insert(id);
    return result;
}

/// Waits until none of `programs` (nor a link to them) is left; the kernel frees programs
/// asynchronously after the last reference (here: the host's packet socket) goes.
bool released(const std::set<uint32_t>& programs) {
    for (int i = 0; i < 100; ++i) {
        std::set<uint32_t> left;
        for (uint32_t id : bpf_program_ids())
            if (programs.count(id)) left.insert(id);
        if (left.empty() && bpf_link_ids_for(programs).empty()) return true;
        std::this_thread::sleep_for(30ms);
    }
    return false;
}

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

class SockfilterTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string reason = netns_unavailable_reason();
        if (!reason.empty()) GTEST_SKIP() << reason;
        ASSERT_TRUE(file_exists(wbpf_binary())) << wbpf_binary() << " is not built";
        ASSERT_TRUE(file_exists(WBPF_SOCKFILTER_WASM)) << WBPF_SOCKFILTER_WASM << " is not built";
        lab_ = std::make_unique<NetworkLab>("sockf");
    }

    /// Starts sockfilter on the receiver's veth end, inside the receiver namespace.
    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {wbpf_binary(), "run", WBPF_SOCKFILTER_WASM, "-i",
                                         lab_->receiver_end().interface};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto child = std::make_unique<ChildProcess>(lab_->receiver.exec_argv(argv));
        bool ready = child->wait_for_text("Hit Ctrl-C to end.\n", 20s);
        EXPECT_TRUE(ready) << "no banner; stdout: " << child->output()
                           << "; stderr: " << child->error_output();
        return ready ? std::move(child) : nullptr;
    }

    /// Sends `count` datagrams from `from` (bound to from_address) to to_address:port in `to`,
    /// and checks they all arrived.
    void send(const NetNamespace& from, const std::string& from_address, const NetNamespace& to,
              const std::string& to_address, uint16_t port, int count) {
        UniqueFd receiver = to.udp_socket(to_address, port);
        UniqueFd sender = from.udp_socket(from_address, 0);
        ASSERT_EQ(send_udp(sender, to_address, port, count, payload_size), count);
        ASSERT_EQ(receive_udp(receiver, count, 5s), count) << "datagrams lost on the veth pair";
    }

    std::unique_ptr<NetworkLab> lab_;
};

TEST_F(SockfilterTest, CountsExactlyTheReceivedAndSentPacketsAndReleasesOnSigint) {
    auto before = bpf_program_ids(sockfilter_programs);
    auto sockfilter = start();
    ASSERT_TRUE(sockfilter);
    auto loaded = new_programs(before);
    ASSERT_EQ(loaded.size(), 1u) << "sockfilter_count is not loaded";

    constexpr int received = 15, replied = 4;
    const std::string sender_ip = lab_->sender_end().ipv4, receiver_ip = lab_->receiver_end().ipv4;
    send(lab_->sender, sender_ip, lab_->receiver, receiver_ip, test_port, received);
    send(lab_->receiver, receiver_ip, lab_->sender, sender_ip, test_port, replied);

    sockfilter->signal(SIGINT);
    auto status = sockfilter->wait(10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGINT";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "status " << *status << "; stderr: " << sockfilter->error_output();
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
    auto before = bpf_program_ids(sockfilter_programs);
    auto sockfilter = start();
    ASSERT_TRUE(sockfilter);
    auto loaded = new_programs(before);
    ASSERT_EQ(loaded.size(), 1u);
    sockfilter->signal(SIGKILL);
    ASSERT_TRUE(sockfilter->wait(10s));
    EXPECT_TRUE(released(loaded)) << "program left after SIGKILL";
}

TEST_F(SockfilterTest, UnknownInterfaceAndBadArgumentsFailWithOneLine) {
    auto before = bpf_program_ids(sockfilter_programs);
    ChildProcess unknown(lab_->receiver.exec_argv(
        {wbpf_binary(), "run", WBPF_SOCKFILTER_WASM, "-i", "wbnosuchif0"}));
    auto status = unknown.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
    EXPECT_NE(unknown.error_output().find(
                  "sockfilter: failed to attach to interface 'wbnosuchif0': no such interface"),
              std::string::npos)
        << unknown.error_output();
    auto loaded = new_programs(before);
    EXPECT_TRUE(loaded.empty() || released(loaded));

    ChildProcess bad_port({wbpf_binary(), "run", WBPF_SOCKFILTER_WASM, "-i", "lo", "-P", "70000"});
    status = bad_port.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_NE(bad_port.error_output().find("invalid port '70000'"), std::string::npos)
        << bad_port.error_output();

    ChildProcess help({wbpf_binary(), "run", WBPF_SOCKFILTER_WASM, "-h"});
    status = help.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_NE(help.output().find("-P PORT"), std::string::npos) << help.output();
}

} // namespace
} // namespace wbpf::e2e
