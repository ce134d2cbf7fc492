// uprobe end to end against the real kernel: build/examples/uprobe.wasm under `wbpf run`,
// probing add() and scale() in a native test binary (uprobe_target.c) that calls them with known
// values; the output must show exactly those calls with their return values.
#include "bpf_listing.hpp"
#include "child_process.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

using namespace std::chrono_literals;

/// The runtime under test: build/wbpf, or $WBPF_E2E_WBPF when set (e.g. an installed copy).
std::string wbpf_binary() {
    const char* override_path = std::getenv("WBPF_E2E_WBPF");
    return override_path && *override_path ? override_path : WBPF_BINARY;
}

const std::set<std::string> uprobe_programs = {"uprobe_entry", "uprobe_return"};

/// The calls uprobe_target makes, as uprobe prints them with -i.
const std::vector<std::string> add_calls = {"add(1, 2) = 3", "add(-3, 10) = 7",
                                            "add(1000, 234) = 1234", "add(7, -7) = 0",
                                            "add(2147483600, 47) = 2147483647"};

/// "CALL = RETURN" of every line reporting process `pid`, in output order.
std::vector<std::string> calls_of(const std::string& output, pid_t pid) {
    std::vector<std::string> calls;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        long line_pid = 0, tid = 0;
        std::string comm;
        double latency_us = 0;
        if (!(fields >> line_pid >> tid >> comm >> latency_us) || line_pid != pid) continue;
        std::string call;
        std::getline(fields >> std::ws, call);
        calls.push_back(call);
    }
    return calls;
}

/// Waits until none of `programs` (nor a link to them) is left in the kernel; the kernel frees
/// programs asynchronously after the last reference goes.
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

bool file_exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class UprobeTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs into the kernel";
        for (const auto& path :
             {wbpf_binary(), std::string(WBPF_UPROBE_WASM), std::string(WBPF_UPROBE_TARGET)})
            ASSERT_TRUE(file_exists(path)) << path << " is not built";
    }

    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& options) {
        std::vector<std::string> argv = {wbpf_binary(), "run", WBPF_UPROBE_WASM};
        argv.insert(argv.end(), options.begin(), options.end());
        auto child = std::make_unique<ChildProcess>(argv);
        bool ready = child->wait_for_text("CALL = RETURN\n", 20s);
        EXPECT_TRUE(ready) << "no header; stderr: " << child->error_output();
        return ready ? std::move(child) : nullptr;
    }

    static pid_t run_target() {
        auto [pid, status] = run_and_wait({WBPF_UPROBE_TARGET});
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        return pid;
    }
};

TEST_F(UprobeTest, ReportsArgumentsAndReturnValuesOfEveryCall) {
    auto uprobe = start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i"});
    ASSERT_TRUE(uprobe);
    pid_t target = run_target();
    bool seen = uprobe->wait_for_output(
        [&](const std::string& out) { return calls_of(out, target).size() >= add_calls.size(); },
        10s);
    ASSERT_TRUE(seen) << uprobe->output() << uprobe->error_output();
    EXPECT_EQ(calls_of(uprobe->output(), target), add_calls) << uprobe->output();
    const std::string out = uprobe->output();
    EXPECT_EQ(out.substr(0, out.find('\n')),
              "PID     TID     COMM                LAT(us) CALL = RETURN");
    uprobe->signal(SIGINT);
    EXPECT_TRUE(uprobe->wait(10s));
}

TEST_F(UprobeTest, SixtyFourBitArgumentsByDefaultAndHex) {
    auto uprobe = start({"-b", WBPF_UPROBE_TARGET, "-f", "scale"});
    ASSERT_TRUE(uprobe);
    pid_t target = run_target();
    bool seen = uprobe->wait_for_output(
        [&](const std::string& out) { return !calls_of(out, target).empty(); }, 10s);
    ASSERT_TRUE(seen) << uprobe->output() << uprobe->error_output();
    uprobe->signal(SIGINT);
    ASSERT_TRUE(uprobe->wait(10s));
    EXPECT_EQ(calls_of(uprobe->output(), target),
              std::vector<std::string>{"scale(-5000000000, 3) = -15000000000"});

    auto hex = start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i", "-x", "-a", "1"});
    ASSERT_TRUE(hex);
    target = run_target();
    seen = hex->wait_for_output(
        [&](const std::string& out) { return calls_of(out, target).size() >= 5; }, 10s);
    ASSERT_TRUE(seen) << hex->output() << hex->error_output();
    EXPECT_EQ(calls_of(hex->output(), target)[1], "add(0xfffffffd) = 0x7");
    hex->signal(SIGINT);
    EXPECT_TRUE(hex->wait(10s));
}

TEST_F(UprobeTest, PidOptionLimitsTheProbeToThatProcess) {
    ChildProcess waiting({WBPF_UPROBE_TARGET, "--wait"});
    auto uprobe =
        start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i", "-p", std::to_string(waiting.pid())});
    ASSERT_TRUE(uprobe);
    pid_t other = run_target(); // the same binary, another process: not reported
    waiting.write_stdin("go\n");
    auto status = waiting.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    bool seen = uprobe->wait_for_output(
        [&](const std::string& out) {
            return calls_of(out, waiting.pid()).size() >= add_calls.size();
        },
        10s);
    ASSERT_TRUE(seen) << uprobe->output() << uprobe->error_output();
    uprobe->signal(SIGINT);
    ASSERT_TRUE(uprobe->wait(10s));
    EXPECT_EQ(calls_of(uprobe->output(), waiting.pid()), add_calls);
    EXPECT_TRUE(calls_of(uprobe->output(), other).empty()) << uprobe->output();
}

TEST_F(UprobeTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = bpf_program_ids(uprobe_programs);
    auto uprobe = start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i"});
    ASSERT_TRUE(uprobe);
    std::set<uint32_t> loaded;
    for (uint32_t id : bpf_program_ids(uprobe_programs))
        if (!before.count(id)) loaded.insert(id);
    ASSERT_EQ(loaded.size(), 2u) << "uprobe's two programs are not loaded";
    EXPECT_EQ(bpf_link_ids_for(loaded).size(), 2u) << "uprobe's programs are not attached";

    pid_t target = run_target();
    uprobe->signal(SIGINT); // at once: the events may still be in the ring buffer
    auto status = uprobe->wait(10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGINT";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "status " << *status << "; stderr: " << uprobe->error_output();
    const std::string out = uprobe->output();
    EXPECT_EQ(calls_of(out, target), add_calls) << out;
    EXPECT_NE(out.find("Traced 5 calls of add in "), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
    // libbpf falls back to tracefs probes on old kernels; none may be left there either.
    EXPECT_EQ(read_file("/sys/kernel/tracing/uprobe_events").find(WBPF_UPROBE_TARGET),
              std::string::npos);
}

TEST_F(UprobeTest, UnknownSymbolOrBinaryFailsWithOneLine) {
    ChildProcess symbol(
        {wbpf_binary(), "run", WBPF_UPROBE_WASM, "-b", WBPF_UPROBE_TARGET, "-f", "no_such_fn"});
    auto status = symbol.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
    EXPECT_NE(symbol.error_output().find("uprobe: cannot attach to "), std::string::npos)
        << symbol.error_output();

    ChildProcess binary(
        {wbpf_binary(), "run", WBPF_UPROBE_WASM, "-b", "/nonexistent/binary", "-f", "add"});
    status = binary.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
    EXPECT_NE(binary.error_output().find("uprobe: cannot attach to /nonexistent/binary:add"),
              std::string::npos)
        << binary.error_output();
}

TEST_F(UprobeTest, HelpAndBadOptions) {
    ChildProcess help({wbpf_binary(), "run", WBPF_UPROBE_WASM, "-h"});
    auto status = help.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_NE(help.output().find("-b BINARY"), std::string::npos) << help.output();

    ChildProcess missing({wbpf_binary(), "run", WBPF_UPROBE_WASM, "-f", "add"});
    status = missing.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
    EXPECT_NE(missing.error_output().find("-b BINARY and -f SYMBOL are required"),
              std::string::npos)
        << missing.error_output();
}

} // namespace
} // namespace wbpf::e2e
