// procstat end to end against the real kernel: build/examples/procstat.wasm under `wbpf run`.
// The test process makes its own memory footprint known (a large touched allocation) and
// compares procstat's figures for it with /proc/self/status.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> procstat_programs = {"on_switch", "on_exit"};

/// One report row: PID COMM then ten numbers (sizes in kB, then the two switch counts).
struct Row {
    long pid = 0;
    std::string comm;
    unsigned long long vsize = 0, rss = 0, file = 0, anon = 0, shmem = 0, swap = 0, data = 0,
                       stack = 0, voluntary = 0, involuntary = 0;
};

/// The rows for `pid` (0: every row), in output order.
std::vector<Row> rows_of(const std::string& output, pid_t pid) {
    std::vector<Row> rows;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        Row row;
        if (!(fields >> row.pid >> row.comm >> row.vsize >> row.rss >> row.file >> row.anon >>
              row.shmem >> row.swap >> row.data >> row.stack >> row.voluntary >> row.involuntary))
            continue;
        if (pid == 0 || row.pid == pid) rows.push_back(row);
    }
    return rows;
}

/// The "kB" fields of /proc/self/status, by name.
std::map<std::string, unsigned long long> proc_status() {
    std::map<std::string, unsigned long long> fields;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos || line.find(" kB") == std::string::npos) continue;
        fields[line.substr(0, colon)] = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    }
    return fields;
}

/// Within 10 % of `expected`, or a few pages for figures too small for a percentage to mean much.
void expect_close(unsigned long long actual, unsigned long long expected, const char* what) {
    double slack = std::max(0.10 * static_cast<double>(expected), 64.0);
    EXPECT_LE(std::fabs(static_cast<double>(actual) - static_cast<double>(expected)), slack)
        << what << ": procstat " << actual << " kB, /proc/self/status " << expected << " kB";
}

class ProcstatTest : public ToolTest {
protected:
    ProcstatTest() : ToolTest({WBPF_PROCSTAT_WASM, "Hit Ctrl-C to end.\n", procstat_programs}) {}

    static constexpr size_t ballast_size = 64u << 20;

    void SetUp() override {
        ToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // 64 MiB of touched anonymous memory: this process's RSS is then mostly a known size.
        ballast_.reset(static_cast<char*>(std::malloc(ballast_size)));
        ASSERT_TRUE(ballast_);
        std::memset(ballast_.get(), 1, ballast_size);
    }

    struct FreeDeleter {
        void operator()(char* p) const { std::free(p); }
    };
    std::unique_ptr<char, FreeDeleter> ballast_;
};

TEST_F(ProcstatTest, ReportsThisProcessWithRssWithinTenPercentOfProcStatus) {
    auto procstat = start({"-p", std::to_string(getpid()), "1"});
    ASSERT_TRUE(procstat);
    // Two rows: the second is sampled while this process only waits, as /proc is read below.
    bool seen = procstat->wait_for_output(
        [&](const std::string& out) { return rows_of(out, getpid()).size() >= 2; }, 20s);
    ASSERT_TRUE(seen) << procstat->output() << procstat->error_output();
    auto status = proc_status();
    Row row = rows_of(procstat->output(), getpid()).back();
    ASSERT_TRUE(exited(stop(*procstat), 0, *procstat));

    EXPECT_GE(row.rss, ballast_size / 1024) << "the 64 MiB ballast is not in RSS";
    EXPECT_LE(std::fabs(double(row.rss) - double(status["VmRSS"])), 0.10 * double(status["VmRSS"]))
        << "RSS " << row.rss << " kB, VmRSS " << status["VmRSS"] << " kB";
    expect_close(row.anon, status["RssAnon"], "RssAnon");
    expect_close(row.file, status["RssFile"], "RssFile");
    expect_close(row.shmem, status["RssShmem"], "RssShmem");
    expect_close(row.swap, status["VmSwap"], "VmSwap");
    expect_close(row.vsize, status["VmSize"], "VmSize");
    expect_close(row.data, status["VmData"], "VmData");
    expect_close(row.stack, status["VmStk"], "VmStk");
    EXPECT_GT(row.voluntary, 0u) << "this process blocked, so it switched out voluntarily";
    for (const Row& other : rows_of(procstat->output(), 0))
        EXPECT_EQ(other.pid, getpid()) << "-p lets another process through";
}

TEST_F(ProcstatTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = programs();
    auto procstat = start({"-p", std::to_string(getpid())});
    ASSERT_TRUE(procstat);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 2)) << "procstat's two programs are not loaded";

    std::this_thread::sleep_for(100ms); // this process switches out: something to report
    procstat->signal(SIGINT);
    ASSERT_TRUE(exited(procstat->wait(10s), 0, *procstat));
    const std::string out = procstat->output();
    EXPECT_FALSE(rows_of(out, getpid()).empty()) << "no final report: " << out;
    EXPECT_NE(out.find("Tracked 1 processes: "), std::string::npos) << "no summary: " << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(ProcstatTest, CountEndsTheRunAndEveryProcessIsListedWithoutPid) {
    auto before = programs();
    auto procstat = start({"-T", "1", "2"});
    ASSERT_TRUE(procstat);
    auto loaded = loaded_since(before);
    auto status = procstat->wait(30s);
    ASSERT_TRUE(status) << "two reports of 1 s did not end the run";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
    const std::string out = procstat->output();
    EXPECT_FALSE(rows_of(out, getpid()).empty()) << out;
    EXPECT_FALSE(rows_of(out, procstat->pid()).empty()) << "wbpf itself is missing: " << out;
    size_t headers = 0;
    for (size_t at = out.find("VSIZE(kB)"); at != std::string::npos;
         at = out.find("VSIZE(kB)", at + 1))
        ++headers;
    EXPECT_EQ(headers, 2u) << out;
    EXPECT_NE(out.find("Tracked "), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after the last report";
}

TEST_F(ProcstatTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-p PID"));

    EXPECT_TRUE(rejects(command({"0"}), "invalid interval"));
}

} // namespace
} // namespace wbpf::e2e
