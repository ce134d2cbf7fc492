// opensnoop end to end against the real kernel: build/examples/opensnoop.wasm under `wbpf run`.
// The test opens files itself (one that exists, one that does not) and looks for exactly those
// paths, with their fd and errno, in the output.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <cerrno>
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

const std::set<std::string> opensnoop_programs = {"enter_open", "enter_openat", "enter_openat2",
                                                  "exit_open",  "exit_openat",  "exit_openat2"};

struct Line {
    long pid = 0;
    std::string comm;
    int fd = 0, err = 0;
    std::string path;
};

/// Lines of the form "PID COMM FD ERR PATH" (the header and summary do not parse).
std::vector<Line> parse_lines(const std::string& output) {
    std::vector<Line> lines;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        Line line;
        if (!(fields >> line.pid >> line.comm >> line.fd >> line.err)) continue;
        std::getline(fields >> std::ws, line.path);
        lines.push_back(line);
    }
    return lines;
}

std::optional<Line> find_path(const std::string& output, const std::string& path) {
    for (const Line& line : parse_lines(output))
        if (line.path == path) return line;
    return std::nullopt;
}

class OpensnoopTest : public ToolTest {
protected:
    OpensnoopTest() : ToolTest({WBPF_OPENSNOOP_WASM, "ERR PATH\n", opensnoop_programs}) {}

    void SetUp() override {
        ToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        char existing[] = "/tmp/wbpf-opensnoop-XXXXXX";
        int fd = mkstemp(existing);
        ASSERT_GE(fd, 0);
        close(fd);
        existing_ = existing;
        missing_ = existing_ + "-missing";
    }
    void TearDown() override {
        if (!existing_.empty()) unlink(existing_.c_str());
    }

    /// Opens the existing file (returns the fd it got, closed again) and the missing one.
    int open_both() {
        int fd = open(existing_.c_str(), O_RDONLY);
        EXPECT_GE(fd, 0);
        close(fd);
        int missing = open(missing_.c_str(), O_RDONLY);
        EXPECT_EQ(missing, -1);
        EXPECT_EQ(errno, ENOENT);
        return fd;
    }

    std::string existing_, missing_;
};

TEST_F(OpensnoopTest, ReportsExactPathsFdsAndErrno) {
    auto opensnoop = start({"-p", std::to_string(getpid())});
    ASSERT_TRUE(opensnoop);
    int fd = open_both();
    bool seen = opensnoop->wait_for_output(
        [&](const std::string& out) {
            return find_path(out, existing_) && find_path(out, missing_);
        },
        10s);
    ASSERT_TRUE(seen) << opensnoop->output() << opensnoop->error_output();
    const std::string out = opensnoop->output();
    EXPECT_EQ(out.substr(0, out.find('\n')), "PID     COMM              FD ERR PATH");

    auto line = find_path(out, existing_);
    EXPECT_EQ(line->pid, getpid());
    EXPECT_EQ(line->fd, fd);
    EXPECT_EQ(line->err, 0);
    line = find_path(out, missing_);
    EXPECT_EQ(line->pid, getpid());
    EXPECT_EQ(line->fd, -1);
    EXPECT_EQ(line->err, ENOENT);
    for (const Line& l : parse_lines(out))
        EXPECT_EQ(l.pid, getpid()) << "-p lets another process through: " << l.path;
    EXPECT_TRUE(exited(stop(*opensnoop), 0, *opensnoop));
}

TEST_F(OpensnoopTest, FailedOnlyShowsTheEnoentOpenAndNotTheOther) {
    auto opensnoop = start({"-x", "-p", std::to_string(getpid())});
    ASSERT_TRUE(opensnoop);
    open_both();
    bool seen = opensnoop->wait_for_output(
        [&](const std::string& out) { return find_path(out, missing_).has_value(); }, 10s);
    ASSERT_TRUE(seen) << opensnoop->output() << opensnoop->error_output();
    opensnoop->signal(SIGINT); // the exit drains what is left, so absence below is meaningful
    ASSERT_TRUE(exited(opensnoop->wait(10s), 0, *opensnoop));
    const std::string out = opensnoop->output();
    auto line = find_path(out, missing_);
    EXPECT_EQ(line->fd, -1);
    EXPECT_EQ(line->err, 2);
    EXPECT_FALSE(find_path(out, existing_)) << "-x shows a successful open: " << out;
    for (const Line& l : parse_lines(out))
        EXPECT_NE(l.err, 0) << "-x shows a successful open: " << l.path;
}

TEST_F(OpensnoopTest, NameFilterKeepsOnlyMatchingCommands) {
    auto opensnoop = start({"-n", "cat"});
    ASSERT_TRUE(opensnoop);
    open_both(); // by this test binary: must not show
    auto [cat, cat_status] = run_and_wait({"/bin/cat", existing_, missing_});
    ASSERT_TRUE(WIFEXITED(cat_status));
    EXPECT_NE(WEXITSTATUS(cat_status), 0); // the missing file
    bool seen = opensnoop->wait_for_output(
        [&](const std::string& out) {
            auto line = find_path(out, missing_);
            return line && line->pid == cat;
        },
        10s);
    ASSERT_TRUE(seen) << opensnoop->output() << opensnoop->error_output();
    ASSERT_TRUE(exited(stop(*opensnoop), 0, *opensnoop));
    const std::string out = opensnoop->output();
    auto line = find_path(out, existing_);
    ASSERT_TRUE(line) << out;
    EXPECT_EQ(line->pid, cat);
    EXPECT_EQ(line->comm, "cat");
    EXPECT_GE(line->fd, 0);
    for (const Line& l : parse_lines(out))
        EXPECT_NE(l.comm.find("cat"), std::string::npos) << "-n lets " << l.comm << " through";
}

TEST_F(OpensnoopTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = programs();
    auto opensnoop = start({"-p", std::to_string(getpid())});
    ASSERT_TRUE(opensnoop);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 6)) << "opensnoop's six programs";

    open_both();
    opensnoop->signal(SIGINT); // at once: the events may still be in the perf buffer
    ASSERT_TRUE(exited(opensnoop->wait(10s), 0, *opensnoop));
    const std::string out = opensnoop->output();
    EXPECT_TRUE(find_path(out, missing_)) << "last event lost: " << out;
    EXPECT_NE(out.find("Traced "), std::string::npos) << "no summary: " << out;
    EXPECT_NE(out.find("failed)."), std::string::npos) << "no summary: " << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(OpensnoopTest, DurationEndsTheRunWithSummary) {
    auto before = programs();
    auto opensnoop = start({"-d", "1", "-p", std::to_string(getpid())});
    ASSERT_TRUE(opensnoop);
    auto loaded = loaded_since(before);
    open_both();
    auto status = opensnoop->wait(20s);
    ASSERT_TRUE(status) << "-d 1 did not end the run";
    EXPECT_TRUE(exited(status, 0, *opensnoop));
    EXPECT_NE(opensnoop->output().find("Traced "), std::string::npos) << opensnoop->output();
    EXPECT_TRUE(released(loaded)) << "programs or links left after -d";
}

TEST_F(OpensnoopTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-x"));

    EXPECT_TRUE(rejects(command({"-p", "me"}), "invalid PID"));
}

} // namespace
} // namespace wbpf::e2e
