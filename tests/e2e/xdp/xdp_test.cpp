// xdp end to end against the real kernel: build/examples/xdp.wasm runs inside the receiver
// namespace of a NetworkLab, attached to the receiver's veth end; the test sends an exact number
// of UDP datagrams from the sender namespace and checks the per-source counts, the bytes, and
// that nothing (program, link, XDP attachment) is left after the run.
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

const std::set<std::string> xdp_programs = {"xdp_count"};
constexpr uint16_t test_port = 47001;
constexpr size_t payload_size = 32;
constexpr unsigned long long frame_size = 14 + 20 + 8 + payload_size; // eth + IPv4 + UDP

struct Row {
    unsigned long long packets = 0, bytes = 0;
};

/// Rows for `source` in the interval tables (before the TOTAL line) and in the final table.
struct Tables {
    std::vector<Row> intervals;
    std::optional<Row> total;
    bool has_total = false;
};

Tables parse_tables(const std::string& output, const std::string& source) {
    Tables tables;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("TOTAL since start:", 0) == 0) {
            tables.has_total = true;
            continue;
        }
        std::istringstream fields(line);
        std::string address;
        Row row;
        if (!(fields >> address >> row.packets >> row.bytes) || address != source) continue;
        if (tables.has_total)
            tables.total = row;
        else
            tables.intervals.push_back(row);
    }
    return tables;
}

class XdpTest : public NetworkToolTest {
protected:
    XdpTest() : NetworkToolTest({WBPF_XDP_WASM, "Hit Ctrl-C to end.\n", xdp_programs}, "xdp") {}

    /// Sends `count` datagrams sender -> receiver and checks they all arrived.
    void send_and_receive(int count) {
        UniqueFd receiver = lab_->receiver.udp_socket(lab_->receiver_end().ipv4, test_port);
        UniqueFd sender = lab_->sender.udp_socket(lab_->sender_end().ipv4, 0);
        ASSERT_EQ(send_udp(sender, lab_->receiver_end().ipv4, test_port, count, payload_size),
                  count);
        ASSERT_EQ(receive_udp(receiver, count, 5s), count) << "datagrams lost on the veth pair";
    }

    bool xdp_attached() const {
        CommandResult link =
            lab_->receiver.ip({"link", "show", "dev", lab_->receiver_end().interface});
        EXPECT_TRUE(link.ok()) << link.output;
        // "prog/xdp id N": the namespace names in the output may contain "xdp" themselves.
        return link.output.find("prog/xdp") != std::string::npos;
    }
};

TEST_F(XdpTest, CountsExactlyTheSentPacketsAndReleasesEverythingOnSigint) {
    auto before = programs();
    auto xdp = start();
    ASSERT_TRUE(xdp);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 1)) << "xdp_count, attached by a link";
    EXPECT_TRUE(xdp_attached()) << "no XDP program on the interface";

    constexpr int sent = 25;
    send_and_receive(sent);

    xdp->signal(SIGINT);
    ASSERT_TRUE(exited(xdp->wait(10s), 0, *xdp));
    Tables tables = parse_tables(xdp->output(), lab_->sender_end().ipv4);
    ASSERT_TRUE(tables.has_total) << "no summary: " << xdp->output();
    ASSERT_TRUE(tables.total) << "sender not in the summary: " << xdp->output();
    EXPECT_EQ(tables.total->packets, static_cast<unsigned long long>(sent)) << xdp->output();
    EXPECT_EQ(tables.total->bytes, sent * frame_size) << xdp->output();
    EXPECT_TRUE(tables.intervals.empty()) << "no interval given, no interval tables";

    EXPECT_TRUE(released(loaded)) << "program or link left after SIGINT";
    EXPECT_FALSE(xdp_attached()) << "XDP program still on the interface after SIGINT";
}

TEST_F(XdpTest, IntervalTablesAddUpToTheTotalAndCountEndsTheRun) {
    constexpr int sent = 12;
    auto xdp = start({"-T", "1", "3"});
    ASSERT_TRUE(xdp);
    send_and_receive(sent);
    auto status = xdp->wait(30s); // three 1 s intervals, then it ends by itself
    ASSERT_TRUE(status) << "did not stop after 3 intervals: " << xdp->output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << xdp->error_output();
    Tables tables = parse_tables(xdp->output(), lab_->sender_end().ipv4);
    ASSERT_TRUE(tables.total) << xdp->output();
    unsigned long long in_intervals = 0;
    for (const Row& row : tables.intervals)
        in_intervals += row.packets;
    EXPECT_EQ(in_intervals, static_cast<unsigned long long>(sent)) << xdp->output();
    EXPECT_EQ(tables.total->packets, static_cast<unsigned long long>(sent)) << xdp->output();
    size_t headers = 0;
    for (size_t at = 0; (at = xdp->output().find("SRC-IP", at)) != std::string::npos; ++at)
        ++headers;
    EXPECT_EQ(headers, 4u) << "three interval tables and the summary: " << xdp->output();
    EXPECT_FALSE(xdp_attached());
}

TEST_F(XdpTest, SigkillLeavesNoAttachment) {
    auto before = programs();
    auto xdp = start();
    ASSERT_TRUE(xdp);
    ASSERT_TRUE(sigkill_releases(*xdp, before, 1));
    EXPECT_FALSE(xdp_attached()) << "XDP program still on the interface after SIGKILL";
}

TEST_F(XdpTest, UnknownInterfaceFailsWithOneLine) {
    auto before = programs();
    EXPECT_TRUE(rejects(lab_->receiver.exec_argv(command({"-i", "wbnosuchif0"})),
                        "xdp: failed to attach to interface 'wbnosuchif0': no such interface", 1));
    EXPECT_TRUE(loaded_since(before).empty() || released(loaded_since(before)));
}

TEST_F(XdpTest, HelpAndBadArguments) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-i IFACE"));

    EXPECT_TRUE(rejects(command({}), "an interface is required", 1));

    EXPECT_TRUE(rejects(command({"-i", "lo", "soon"}), "invalid interval 'soon'", 1));
}

} // namespace
} // namespace wbpf::e2e
