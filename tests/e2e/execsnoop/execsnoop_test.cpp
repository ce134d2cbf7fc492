// execsnoop end to end against the real kernel: build/examples/execsnoop.wasm under `wbpf run`
// sees the test's own execs with their exact argument lists.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> execsnoop_programs = {
    "execsnoop_exec", "execsnoop_ent", "execsnoop_entat", "execsnoop_ret", "execsnoop_retat"};

struct Line {
    std::string comm, args;
    long pid = 0, ppid = 0, uid = 0, ret = 0;
};

/// Lines "PCOMM PID PPID UID RET ARGS" of `output`.
std::vector<Line> parse_lines(const std::string& output) {
    std::vector<Line> lines;
    // Complete lines only: the output may have been read in the middle of one.
    std::istringstream in(output.substr(0, output.rfind('\n') + 1));
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        Line line;
        if (!(fields >> line.comm >> line.pid >> line.ppid >> line.uid >> line.ret)) continue;
        std::getline(fields >> std::ws, line.args);
        lines.push_back(line);
    }
    return lines;
}

std::optional<Line> find_line(const std::string& output, pid_t pid) {
    for (const Line& line : parse_lines(output))
        if (line.pid == pid) return line;
    return std::nullopt;
}

class ExecsnoopTest : public ToolTest {
protected:
    ExecsnoopTest() : ToolTest({WBPF_EXECSNOOP_WASM, " ARGS\n", execsnoop_programs}) {}

    /// Runs /bin/true and waits until execsnoop printed it: everything before is printed too.
    static void sync(ChildProcess& execsnoop) {
        auto [marker, status] = run_and_wait({"/bin/true"});
        ASSERT_EQ(status, 0);
        ASSERT_TRUE(execsnoop.wait_for_output(
            [&](const std::string& out) { return find_line(out, marker).has_value(); }, 10s))
            << execsnoop.output() << execsnoop.error_output();
    }
};

TEST_F(ExecsnoopTest, ReportsTheExactArgvIncludingSpacesAndQuotes) {
    auto execsnoop = start();
    ASSERT_TRUE(execsnoop);
    auto [echo, status] = run_and_wait(
        {"/bin/echo", "wbpf e2e marker", "two  spaces", "plain", "quote\"and\\backslash", ""});
    ASSERT_EQ(status, 0);
    ASSERT_TRUE(execsnoop->wait_for_output(
        [&](const std::string& out) { return find_line(out, echo).has_value(); }, 10s))
        << execsnoop->output() << execsnoop->error_output();
    auto line = find_line(execsnoop->output(), echo);
    EXPECT_EQ(line->comm, "echo");
    EXPECT_EQ(line->ppid, getpid());
    EXPECT_EQ(line->uid, 0);
    EXPECT_EQ(line->ret, 0);
    EXPECT_EQ(line->args,
              R"(/bin/echo "wbpf e2e marker" "two  spaces" plain "quote\"and\\backslash" "")");
    const std::string out = execsnoop->output();
    EXPECT_EQ(out.substr(0, out.find('\n')), "PCOMM            PID     PPID    UID     RET ARGS");
    EXPECT_TRUE(exited(stop(*execsnoop), 0, *execsnoop));
}

TEST_F(ExecsnoopTest, LongArgumentListsAreCompleteUpToTheBufferAndMarkedWhenCut) {
    auto execsnoop = start();
    ASSERT_TRUE(execsnoop);
    std::vector<std::string> argv = {"/bin/true"};
    std::string expected = "/bin/true";
    for (int i = 0; i < 100; ++i) {
        argv.push_back("arg" + std::to_string(i));
        expected += " arg" + std::to_string(i);
    }
    auto [all, status] = run_and_wait(argv);
    ASSERT_EQ(status, 0);
    argv.push_back(std::string(5000, 'x')); // past the 4096-byte capture
    auto [cut, cut_status] = run_and_wait(argv);
    ASSERT_EQ(cut_status, 0);
    ASSERT_TRUE(execsnoop->wait_for_output(
        [&](const std::string& out) { return find_line(out, cut).has_value(); }, 10s))
        << execsnoop->output();
    EXPECT_EQ(find_line(execsnoop->output(), all)->args, expected);
    std::string cut_args = find_line(execsnoop->output(), cut)->args;
    EXPECT_EQ(cut_args.substr(0, expected.size() + 2), expected + " x");
    EXPECT_EQ(cut_args.substr(cut_args.size() - 4), " ...");
    EXPECT_TRUE(exited(stop(*execsnoop), 0, *execsnoop));
}

TEST_F(ExecsnoopTest, FailedExecsOnlyWithX) {
    const std::vector<std::string> missing = {"/nonexistent/wbpf-e2e-missing", "arg with space"};
    {
        auto execsnoop = start();
        ASSERT_TRUE(execsnoop);
        auto [failed, status] = run_and_wait(missing);
        ASSERT_EQ(WEXITSTATUS(status), 127);
        sync(*execsnoop);
        EXPECT_FALSE(find_line(execsnoop->output(), failed)) << execsnoop->output();
        EXPECT_TRUE(exited(stop(*execsnoop), 0, *execsnoop));
    }
    auto execsnoop = start({"-x"});
    ASSERT_TRUE(execsnoop);
    auto [failed, status] = run_and_wait(missing);
    ASSERT_EQ(WEXITSTATUS(status), 127);
    sync(*execsnoop);
    auto line = find_line(execsnoop->output(), failed);
    ASSERT_TRUE(line) << execsnoop->output();
    EXPECT_EQ(line->ret, -2) << "ENOENT";
    EXPECT_EQ(line->ppid, getpid());
    EXPECT_EQ(line->args, R"(/nonexistent/wbpf-e2e-missing "arg with space")");
    EXPECT_TRUE(exited(stop(*execsnoop), 0, *execsnoop));
}

TEST_F(ExecsnoopTest, UidFilter) {
    const uid_t uid = 54321;
    auto execsnoop = start({"-u", std::to_string(uid), "-T"});
    ASSERT_TRUE(execsnoop);
    auto [as_root, root_status] = run_and_wait({"/bin/echo", "as root"});
    ASSERT_EQ(root_status, 0);
    auto [as_user, user_status] = run_and_wait({"/bin/echo", "as user"}, uid);
    ASSERT_EQ(user_status, 0);
    // -T puts a time first: drop it before parsing.
    auto without_time = [](const std::string& output) {
        std::string out;
        std::istringstream in(output.substr(0, output.rfind('\n') + 1)); // complete lines
        for (std::string text; std::getline(in, text);)
            out += (text.size() > 9 ? text.substr(9) : text) + "\n";
        return out;
    };
    ASSERT_TRUE(execsnoop->wait_for_output(
        [&](const std::string& output) {
            return find_line(without_time(output), as_user).has_value();
        },
        10s))
        << execsnoop->output();
    std::string out = without_time(execsnoop->output());
    auto line = find_line(out, as_user);
    ASSERT_TRUE(line) << execsnoop->output();
    EXPECT_EQ(line->uid, uid);
    EXPECT_EQ(line->args, R"(/bin/echo "as user")");
    EXPECT_FALSE(find_line(out, as_root)) << execsnoop->output();
    EXPECT_EQ(execsnoop->output().substr(0, 14), "TIME     PCOMM");
    EXPECT_TRUE(exited(stop(*execsnoop), 0, *execsnoop));
}

TEST_F(ExecsnoopTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = programs();
    auto execsnoop = start({"-x"});
    ASSERT_TRUE(execsnoop);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 5)) << "execsnoop's five programs (with -x)";

    auto [last, last_status] = run_and_wait({"/bin/echo", "last one"});
    ASSERT_EQ(last_status, 0);
    execsnoop->signal(SIGINT); // at once: the event may still be in the ring buffer
    ASSERT_TRUE(exited(execsnoop->wait(10s), 0, *execsnoop));
    const std::string out = execsnoop->output();
    auto line = find_line(out, last);
    ASSERT_TRUE(line) << "last event lost: " << out;
    EXPECT_EQ(line->args, R"(/bin/echo "last one")");
    EXPECT_NE(out.find(" execs traced\n"), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(ExecsnoopTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-u UID"));

    EXPECT_TRUE(rejects(command({"-u", "root"}), "invalid user id 'root'"));
}

} // namespace
} // namespace wbpf::e2e
