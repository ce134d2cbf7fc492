// execsnoop end to end against the real kernel: build/examples/execsnoop.wasm under `wbpf run`
// sees the test's own execs with their exact argument lists.
#include "bpf_listing.hpp"
#include "child_process.hpp"

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

using namespace std::chrono_literals;

std::string wbpf_binary() {
    const char* override_path = std::getenv("WBPF_E2E_WBPF");
    return override_path && *override_path ? override_path : WBPF_BINARY;
}

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

/// Forks a child that optionally changes its uid, then execs argv; returns pid and status.
std::pair<pid_t, int> fork_exec(const std::vector<std::string>& argv, uid_t uid = 0) {
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0)) _exit(126);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {pid, status};
}

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

std::set<uint32_t> new_programs(const std::set<uint32_t>& before) {
    std::set<uint32_t> result;
    for (uint32_t id : bpf_program_ids(execsnoop_programs))
        if (!before.count(id)) result.insert(id);
    return result;
}

bool file_exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

class ExecsnoopTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs into the kernel";
        for (const std::string& path : {wbpf_binary(), std::string(WBPF_EXECSNOOP_WASM)})
            ASSERT_TRUE(file_exists(path)) << path << " is not built";
    }

    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& options = {}) {
        std::vector<std::string> argv = {wbpf_binary(), "run", WBPF_EXECSNOOP_WASM};
        argv.insert(argv.end(), options.begin(), options.end());
        auto child = std::make_unique<ChildProcess>(argv);
        bool ready = child->wait_for_text(" ARGS\n", 20s);
        EXPECT_TRUE(ready) << "no header; stderr: " << child->error_output();
        return ready ? std::move(child) : nullptr;
    }

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
    execsnoop->signal(SIGINT);
    EXPECT_TRUE(execsnoop->wait(10s));
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
    execsnoop->signal(SIGINT);
    EXPECT_TRUE(execsnoop->wait(10s));
}

TEST_F(ExecsnoopTest, FailedExecsOnlyWithX) {
    const std::vector<std::string> missing = {"/nonexistent/wbpf-e2e-missing", "arg with space"};
    {
        auto execsnoop = start();
        ASSERT_TRUE(execsnoop);
        auto [failed, status] = fork_exec(missing);
        ASSERT_EQ(WEXITSTATUS(status), 127);
        sync(*execsnoop);
        EXPECT_FALSE(find_line(execsnoop->output(), failed)) << execsnoop->output();
        execsnoop->signal(SIGINT);
        EXPECT_TRUE(execsnoop->wait(10s));
    }
    auto execsnoop = start({"-x"});
    ASSERT_TRUE(execsnoop);
    auto [failed, status] = fork_exec(missing);
    ASSERT_EQ(WEXITSTATUS(status), 127);
    sync(*execsnoop);
    auto line = find_line(execsnoop->output(), failed);
    ASSERT_TRUE(line) << execsnoop->output();
    EXPECT_EQ(line->ret, -2) << "ENOENT";
    EXPECT_EQ(line->ppid, getpid());
    EXPECT_EQ(line->args, R"(/nonexistent/wbpf-e2e-missing "arg with space")");
    execsnoop->signal(SIGINT);
    EXPECT_TRUE(execsnoop->wait(10s));
}

TEST_F(ExecsnoopTest, UidFilter) {
    const uid_t uid = 54321;
    auto execsnoop = start({"-u", std::to_string(uid), "-T"});
    ASSERT_TRUE(execsnoop);
    auto [as_root, root_status] = run_and_wait({"/bin/echo", "as root"});
    ASSERT_EQ(root_status, 0);
    auto [as_user, user_status] = fork_exec({"/bin/echo", "as user"}, uid);
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
    execsnoop->signal(SIGINT);
    EXPECT_TRUE(execsnoop->wait(10s));
}

TEST_F(ExecsnoopTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = bpf_program_ids(execsnoop_programs);
    auto execsnoop = start({"-x"});
    ASSERT_TRUE(execsnoop);
    auto loaded = new_programs(before);
    ASSERT_EQ(loaded.size(), 5u) << "execsnoop's five programs (with -x) are not loaded";
    EXPECT_EQ(bpf_link_ids_for(loaded).size(), 5u) << "execsnoop's programs not attached";

    auto [last, last_status] = run_and_wait({"/bin/echo", "last one"});
    ASSERT_EQ(last_status, 0);
    execsnoop->signal(SIGINT); // at once: the event may still be in the ring buffer
    auto status = execsnoop->wait(10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGINT";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "status " << *status << "; stderr: " << execsnoop->error_output();
    const std::string out = execsnoop->output();
    auto line = find_line(out, last);
    ASSERT_TRUE(line) << "last event lost: " << out;
    EXPECT_EQ(line->args, R"(/bin/echo "last one")");
    EXPECT_NE(out.find(" execs traced\n"), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(ExecsnoopTest, HelpAndBadOptions) {
    ChildProcess help({wbpf_binary(), "run", WBPF_EXECSNOOP_WASM, "-h"});
    auto status = help.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_NE(help.output().find("-u UID"), std::string::npos) << help.output();

    ChildProcess bad({wbpf_binary(), "run", WBPF_EXECSNOOP_WASM, "-u", "root"});
    status = bad.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
    EXPECT_NE(bad.error_output().find("invalid user id 'root'"), std::string::npos)
        << bad.error_output();
}

} // namespace
} // namespace wbpf::e2e
