// sigsnoop end to end against the real kernel: build/examples/sigsnoop.wasm under `wbpf run`
// sees the signals this test sends to a child it owns, with each call's result and what became
// of the signal, and a kill to a pid that does not exist failing with ESRCH.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> sigsnoop_programs = {
    "sig_kill_enter", "sig_tkill_enter", "sig_tgkill_ent", "sig_kill_exit",
    "sig_tkill_exit", "sig_tgkill_exit", "sig_generate"};

struct Line {
    std::string comm, sig, how, fate;
    long pid = 0, tpid = 0, result = 0;
    bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Line& l) {
    return out << l.pid << " " << l.comm << " " << l.sig << " " << l.tpid << " " << l.result << " "
               << l.how << " " << l.fate;
}

/// Lines "PID COMM SIG TPID RESULT HOW FATE" of `output` (COMM without spaces here).
std::vector<Line> parse_lines(const std::string& output) {
    std::vector<Line> lines;
    // Complete lines only: the output may have been read in the middle of one.
    std::istringstream in(output.substr(0, output.rfind('\n') + 1));
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        Line line;
        if (!(fields >> line.pid >> line.comm >> line.sig >> line.tpid >> line.result >> line.how >>
              line.fate))
            continue;
        lines.push_back(line);
    }
    return lines;
}

/// The lines of `output` about `target` (sent to it, or by it).
std::vector<Line> lines_for(const std::string& output, pid_t target) {
    std::vector<Line> result;
    for (const Line& line : parse_lines(output))
        if (line.tpid == target) result.push_back(line);
    return result;
}

std::string own_comm() {
    std::ifstream in("/proc/self/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

/// A pid no process can ever have: above PID_MAX_LIMIT (2^22), the largest pid_max the kernel
/// allows, so kill() fails with ESRCH. A free pid below pid_max would not do: pids wrap (pid_max
/// is 32768 here and the benchmarks fork tens of thousands), so a new process can take it
/// between the choice and the kill - which then signals that process.
pid_t unused_pid() {
    constexpr pid_t pid_max_limit = 4 * 1024 * 1024;
    return pid_max_limit + 1;
}

/// A child of this test that waits for signals, with SIGUSR2 blocked so it stays pending.
class SignalTarget {
public:
    SignalTarget() {
        int ready[2];
        if (pipe(ready) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR2);
            sigprocmask(SIG_BLOCK, &set, nullptr);
            close(ready[1]); // tells the parent SIGUSR2 is blocked
            for (;;)
                pause();
        }
        close(ready[1]);
        char byte;
        while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {
        }
        close(ready[0]);
    }
    ~SignalTarget() {
        if (!reaped_) {
            kill(pid_, SIGKILL);
            reap();
        }
    }
    pid_t pid() const { return pid_; }
    int reap() {
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        return status;
    }

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
};

class SigsnoopTest : public ToolTest {
protected:
    SigsnoopTest() : ToolTest({WBPF_SIGSNOOP_WASM, " FATE\n", sigsnoop_programs}) {}

    void SetUp() override {
        ToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        missing_ = unused_pid();
        ASSERT_TRUE(kill(missing_, 0) != 0 && errno == ESRCH) << "pid " << missing_ << " exists";
    }

    /// Waits until the kill to the missing pid, sent last, is printed.
    bool wait_for_missing(ChildProcess& sigsnoop) {
        return sigsnoop.wait_for_output(
            [&](const std::string& out) { return !lines_for(out, missing_).empty(); }, 10s);
    }

    Line expected(const std::string& sig, pid_t tpid, long result, const std::string& how,
                  const std::string& fate) const {
        Line line;
        line.pid = getpid();
        line.comm = own_comm();
        line.sig = sig;
        line.tpid = tpid;
        line.result = result;
        line.how = how;
        line.fate = fate;
        return line;
    }

    pid_t missing_ = -1;
};

TEST_F(SigsnoopTest, ReportsEachSignalSentWithItsResultAndFate) {
    auto sigsnoop = start({"-p", std::to_string(getpid())});
    ASSERT_TRUE(sigsnoop);
    SignalTarget target;
    pid_t child = target.pid();
    ASSERT_EQ(kill(child, 0), 0);
    ASSERT_EQ(syscall(SYS_tkill, child, SIGCONT), 0); // default action: ignored
    ASSERT_EQ(kill(child, SIGUSR2), 0);               // blocked: queued
    ASSERT_EQ(kill(child, SIGUSR2), 0);               // already pending
    ASSERT_EQ(syscall(SYS_tgkill, child, child, SIGTERM), 0);
    ASSERT_TRUE(WIFSIGNALED(target.reap()));
    ASSERT_EQ(kill(missing_, SIGTERM), -1);
    ASSERT_EQ(errno, ESRCH);
    ASSERT_TRUE(wait_for_missing(*sigsnoop)) << sigsnoop->output() << sigsnoop->error_output();

    const std::string out = sigsnoop->output();
    std::vector<Line> want = {
        expected("0", child, 0, "kill", "-"),
        expected("SIGCONT", child, 0, "tkill", "ignored"),
        expected("SIGUSR2", child, 0, "kill", "delivered"),
        expected("SIGUSR2", child, 0, "kill", "pending"),
        expected("SIGTERM", child, 0, "tgkill", "delivered"),
    };
    EXPECT_EQ(lines_for(out, child), want) << out;
    EXPECT_EQ(lines_for(out, missing_),
              std::vector<Line>{expected("SIGTERM", missing_, -3, "kill", "-")})
        << out;
    // -p: only what this process sent (not the SIGCHLD its child's death generated).
    for (const Line& line : parse_lines(out))
        EXPECT_EQ(line.pid, getpid()) << line;
    EXPECT_EQ(out.substr(0, out.find('\n')),
              "PID     COMM             SIG        TPID    RESULT HOW    FATE");
    EXPECT_TRUE(exited(stop(*sigsnoop), 0, *sigsnoop));
}

TEST_F(SigsnoopTest, KernelGeneratedSignalsAreReportedToo) {
    auto sigsnoop = start({"-s", "CHLD"});
    ASSERT_TRUE(sigsnoop);
    SignalTarget target;
    pid_t child = target.pid();
    ASSERT_EQ(kill(child, SIGKILL), 0);
    target.reap();
    // The child's exit generated SIGCHLD for this process, in the child's context.
    ASSERT_TRUE(sigsnoop->wait_for_output(
        [&](const std::string& out) {
            for (const Line& line : lines_for(out, getpid()))
                if (line.pid == child) return true;
            return false;
        },
        10s))
        << sigsnoop->output();
    for (const Line& line : lines_for(sigsnoop->output(), getpid())) {
        if (line.pid != child) continue;
        EXPECT_EQ(line.sig, "SIGCHLD");
        EXPECT_EQ(line.how, "other");
        EXPECT_EQ(line.result, 0);
    }
    for (const Line& line : parse_lines(sigsnoop->output()))
        EXPECT_EQ(line.sig, "SIGCHLD") << line;
    EXPECT_TRUE(exited(stop(*sigsnoop), 0, *sigsnoop));
}

TEST_F(SigsnoopTest, FailedOnlyAndSignalFilter) {
    {
        auto sigsnoop = start({"-x", "-p", std::to_string(getpid())});
        ASSERT_TRUE(sigsnoop);
        SignalTarget target;
        ASSERT_EQ(kill(target.pid(), SIGCONT), 0);
        ASSERT_EQ(kill(missing_, SIGUSR1), -1);
        ASSERT_TRUE(wait_for_missing(*sigsnoop)) << sigsnoop->output();
        ASSERT_TRUE(exited(stop(*sigsnoop), 0, *sigsnoop));
        EXPECT_TRUE(lines_for(sigsnoop->output(), target.pid()).empty()) << sigsnoop->output();
        EXPECT_EQ(lines_for(sigsnoop->output(), missing_),
                  std::vector<Line>{expected("SIGUSR1", missing_, -3, "kill", "-")});
        EXPECT_NE(sigsnoop->output().find("1 signals traced, 1 failed\n"), std::string::npos)
            << sigsnoop->output();
    }
    auto sigsnoop = start({"-s", "SIGUSR2", "-p", std::to_string(getpid())});
    ASSERT_TRUE(sigsnoop);
    SignalTarget target;
    ASSERT_EQ(kill(target.pid(), SIGCONT), 0);
    ASSERT_EQ(kill(target.pid(), SIGUSR2), 0);
    ASSERT_EQ(kill(missing_, SIGUSR2), -1);
    ASSERT_TRUE(wait_for_missing(*sigsnoop)) << sigsnoop->output();
    EXPECT_EQ(lines_for(sigsnoop->output(), target.pid()),
              std::vector<Line>{expected("SIGUSR2", target.pid(), 0, "kill", "delivered")});
    EXPECT_TRUE(exited(stop(*sigsnoop), 0, *sigsnoop));
}

TEST_F(SigsnoopTest, SigintExitsZeroWithSummaryAndReleasesEverything) {
    auto before = programs();
    auto sigsnoop = start({"-p", std::to_string(getpid())});
    ASSERT_TRUE(sigsnoop);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 7)) << "sigsnoop's seven programs";

    ASSERT_EQ(kill(missing_, SIGHUP), -1);
    sigsnoop->signal(SIGINT); // at once: the event may still be in the ring buffer
    ASSERT_TRUE(exited(sigsnoop->wait(10s), 0, *sigsnoop));
    const std::string out = sigsnoop->output();
    EXPECT_EQ(lines_for(out, missing_),
              std::vector<Line>{expected("SIGHUP", missing_, -3, "kill", "-")})
        << "last event lost: " << out;
    // The wbpf child got SIGINT from this process too: it was traced before the summary.
    EXPECT_NE(out.find(" signals traced, 1 failed\n"), std::string::npos) << out;
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

// Detaching sigsnoop's seven links waits for an RCU grace period each (about 70 ms each here,
// far more on a busy machine). That is host clean-up, not a guest that will not exit: with a
// grace period much shorter than it, Ctrl-C still ends in a clean exit with everything released.
TEST_F(SigsnoopTest, ShortGracePeriodDoesNotCutDetachingShort) {
    auto before = programs();
    std::vector<std::string> argv = command({"-x"});
    const std::vector<std::string> grace = {"--grace-period", "20"};
    argv.insert(argv.begin() + 2, grace.begin(), grace.end()); // after "wbpf run"
    auto sigsnoop = start_argv(argv);
    ASSERT_TRUE(sigsnoop);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 7)) << "sigsnoop's seven programs";
    sigsnoop->signal(SIGINT);
    EXPECT_TRUE(exited(sigsnoop->wait(30s), 0, *sigsnoop));
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(SigsnoopTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-s SIGNAL"));

    EXPECT_TRUE(rejects(command({"-s", "SIGNOPE"}), "invalid signal 'SIGNOPE'"));
}

} // namespace
} // namespace wbpf::e2e
