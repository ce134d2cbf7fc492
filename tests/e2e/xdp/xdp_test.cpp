// xdp end to end against the real kernel: build/examples/xdp.wasm runs inside the receiver
// namespace of a NetworkLab, attached to the receiver's veth end; the test sends an exact number
// of UDP datagrams from the sender namespace and checks the per-source counts, the bytes, and
// that nothing (program, link, XDP attachment) is left after the run.
#include "bpf_listing.hpp"
#include "child_process.hpp"
#include "netns.hpp"

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

using namespace std::chrono_literals;

std::string wbpf_binary() {
    const char* override_path = std::getenv("WBPF_E2E_WBPF");
    return override_path && *override_path ? override_path : WBPF_BINARY;
}

const std::set<std::string> xdp_programs = {"xdp_count"};
constexpr uint16_t test_port = 47001;
constexpr size_t payload_size = 32;
constexpr unsigned long long frame_size = 14 + 20 + 8 + payload_size; // eth + IPv4 + UDP

bool file_exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::set<uint32_t> new_programs(const std::set<uint32_t>& before) {
    std::set<uint32_t> result;
    for (uint32_t id : bpf_program_ids(xdp_programs))
        if (!before.count(id)) result.insert(id);
    return result;
}

/// Waits until none of `programs` (nor a link to them) is left; the kernel frees programs
/// asynchronously after the last reference goes.
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

class XdpTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string reason = netns_unavailable_reason();
        if (!reason.empty()) GTEST_SKIP() << reason;
        ASSERT_TRUE(file_exists(wbpf_binary())) << wbpf_binary() << " is not built";
        ASSERT_TRUE(file_exists(WBPF_XDP_WASM)) << WBPF_XDP_WASM << " is not built";
        lab_ = std::make_unique<NetworkLab>("xdp");
    }

    /// Starts xdp on the receiver's veth end, inside the receiver namespace.
    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {wbpf_binary(), "run", WBPF_XDP_WASM, "-i",
                                         lab_->receiver_end().interface};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto child = std::make_unique<ChildProcess>(lab_->receiver.exec_argv(argv));
        bool ready = child->wait_for_text("Hit Ctrl-C to end.\n", 20s);
        EXPECT_TRUE(ready) << "no banner; stdout: " << child->output()
                           << "; stderr: " << child->error_output();
        return ready ? std::move(child) : nullptr;
    }

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

    std::unique_ptr<NetworkLab> lab_;
};

TEST_F(XdpTest, CountsExactlyTheSentPacketsAndReleasesEverythingOnSigint) {
    auto before = bpf_program_ids(xdp_programs);
    auto xdp = start();
    ASSERT_TRUE(xdp);
    auto loaded = new_programs(before);
    ASSERT_EQ(loaded.size(), 1u) << "xdp_count is not loaded";
    EXPECT_EQ(bpf_link_ids_for(loaded).size(), 1u) << "xdp_count is not attached by a link";
    EXPECT_TRUE(xdp_attached()) << "no XDP program on the interface";

    constexpr int sent = 25;
    send_and_receive(sent);

    xdp->signal(SIGINT);
    auto status = xdp->wait(10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGINT";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "status " << *status << "; stderr: " << xdp->error_output();
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
    auto before = bpf_program_ids(xdp_programs);
    auto xdp = start();
    ASSERT_TRUE(xdp);
    auto loaded = new_programs(before);
    ASSERT_EQ(loaded.size(), 1u);
    xdp->signal(SIGKILL);
    ASSERT_TRUE(xdp->wait(10s));
    EXPECT_TRUE(released(loaded)) << "program or link left after SIGKILL";
    EXPECT_FALSE(xdp_attached()) << "XDP program still on the interface after SIGKILL";
}

TEST_F(XdpTest, UnknownInterfaceFailsWithOneLine) {
    auto before = bpf_program_ids(xdp_programs);
    ChildProcess xdp(
        lab_->receiver.exec_argv({wbpf_binary(), "run", WBPF_XDP_WASM, "-i", "wbnosuchif0"}));
    auto status = xdp.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
    EXPECT_NE(xdp.error_output().find("xdp: failed to attach to interface 'wbnosuchif0': no such "
                                      "interface"),
              std::string::npos)
        << xdp.error_output();
    EXPECT_TRUE(new_programs(before).empty() || released(new_programs(before)));
}

TEST_F(XdpTest, HelpAndBadArguments) {
    ChildProcess help({wbpf_binary(), "run", WBPF_XDP_WASM, "-h"});
    auto status = help.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_NE(help.output().find("-i IFACE"), std::string::npos) << help.output();

    ChildProcess missing({wbpf_binary(), "run", WBPF_XDP_WASM});
    status = missing.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_NE(missing.error_output().find("an interface is required"), std::string::npos)
        << missing.error_output();

    ChildProcess bad({wbpf_binary(), "run", WBPF_XDP_WASM, "-i", "lo", "soon"});
    status = bad.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_NE(bad.error_output().find("invalid interval 'soon'"), std::string::npos)
        << bad.error_output();
}

} // namespace
} // namespace wbpf::e2e
