// uprobe end to end against the real kernel: build/examples/uprobe.wasm under `wbpf run`,
// probing add() and scale() in a native test binary (uprobe_target.c) that calls them with known
// values; the output must show exactly those calls with their return values.
#include "tool_test.hpp"

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

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class UprobeTest : public ToolTest {
protected:
    UprobeTest() : ToolTest({WBPF_UPROBE_WASM, "CALL = RETURN\n", uprobe_programs}) {}

    void SetUp() override {
        ToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_TRUE(file_exists(WBPF_UPROBE_TARGET)) << WBPF_UPROBE_TARGET << " is not built";
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
    EXPECT_TRUE(exited(stop(*uprobe), 0, *uprobe));
}

TEST_F(UprobeTest, SixtyFourBitArgumentsByDefaultAndHex) {
    auto uprobe = start({"-b", WBPF_UPROBE_TARGET, "-f", "scale"});
    ASSERT_TRUE(uprobe);
    pid_t target = run_target();
    bool seen = uprobe->wait_for_output(
        [&](const std::string& out) { return !calls_of(out, target).empty(); }, 10s);
    ASSERT_TRUE(seen) << uprobe->output() << uprobe->error_output();
    ASSERT_TRUE(exited(stop(*uprobe), 0, *uprobe));
    EXPECT_EQ(calls_of(uprobe->output(), target),
              std::vector<std::string>{"scale(-5000000000, 3) = -15000000000"});

    auto hex = start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i", "-x", "-a", "1"});
    ASSERT_TRUE(hex);
    target = run_target();
    seen = hex->wait_for_output(
        [&](const std::string& out) { return calls_of(out, target).size() >= 5; }, 10s);
    ASSERT_TRUE(seen) << hex->output() << hex->error_output();
    EXPECT_EQ(calls_of(hex->output(), target)[1], "add(0xfffffffd) = 0x7");
    EXPECT_TRUE(exited(stop(*hex), 0, *hex));
}

TEST_F(UprobeTest, PidOptionLimitsTheProbeToThatProcess) {
    ChildProcess waiting({WBPF_UPROBE_TARGET, "--wait"});
    auto uprobe =
        start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i", "-p", std::to_string(waiting.pid())});
    ASSERT_TRUE(uprobe);
    pid_t other = run_target(); // the same binary, another process: not reported
    waiting.write_stdin("go\n");
    ASSERT_TRUE(exited(waiting.wait(10s), 0, waiting));
    bool seen = uprobe->wait_for_output(
        [&](const std::string& out) {
            return calls_of(out, waiting.pid()).size() >= add_calls.size();
        },
        10s);
    ASSERT_TRUE(seen) << uprobe->output() << uprobe->error_output();
    ASSERT_TRUE(exited(stop(*uprobe), 0, *uprobe));
    EXPECT_EQ(calls_of(uprobe->output(), waiting.pid()), add_calls);
    EXPECT_TRUE(calls_of(uprobe->output(), other).empty()) << uprobe->output();
}

TEST_F(UprobeTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = programs();
    auto uprobe = start({"-b", WBPF_UPROBE_TARGET, "-f", "add", "-i"});
    ASSERT_TRUE(uprobe);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 2)) << "uprobe's two programs are not loaded";

    pid_t target = run_target();
    uprobe->signal(SIGINT); // at once: the events may still be in the ring buffer
    ASSERT_TRUE(exited(uprobe->wait(10s), 0, *uprobe));
    const std::string out = uprobe->output();
    EXPECT_EQ(calls_of(out, target), add_calls) << out;
    EXPECT_NE(out.find("Traced 5 calls of add in "), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
    // libbpf falls back to tracefs probes on old kernels; none may be left there either.
    EXPECT_EQ(read_file("/sys/kernel/tracing/uprobe_events").find(WBPF_UPROBE_TARGET),
              std::string::npos);
}

TEST_F(UprobeTest, UnknownSymbolOrBinaryFailsWithOneLine) {
    EXPECT_TRUE(rejects(command({"-b", WBPF_UPROBE_TARGET, "-f", "no_such_fn"}),
                        "uprobe: cannot attach to "));
    EXPECT_TRUE(rejects(command({"-b", "/nonexistent/binary", "-f", "add"}),
                        "uprobe: cannot attach to /nonexistent/binary:add"));
}

TEST_F(UprobeTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-b BINARY"));

    EXPECT_TRUE(rejects(command({"-f", "add"}), "-b BINARY and -f SYMBOL are required"));
}

} // namespace
} // namespace wbpf::e2e
