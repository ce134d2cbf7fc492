// A child process for the WASI and end-to-end test harnesses: argv run with stdin, stdout and
// stderr as pipes, output collected while the test waits for it. One implementation for both
// suites (library wbpf_test_process).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace wbpf::test {

class ChildProcess {
public:
    /// Starts argv[0] (a path) with `env` as its whole environment (inherited if nullopt),
    /// default signal dispositions and an empty signal mask. Throws std::runtime_error if it
    /// cannot.
    explicit ChildProcess(const std::vector<std::string>& argv,
                          const std::optional<std::vector<std::string>>& env = std::nullopt);
    ~ChildProcess(); // kills and reaps a child still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }

    /// Reads output until `done(stdout so far)` holds or the timeout passes; whether it held.
    bool wait_for_output(const std::function<bool(const std::string&)>& done,
                         std::chrono::milliseconds timeout);
    bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
        return wait_for_output(
            [&](const std::string& out) { return out.find(text) != std::string::npos; }, timeout);
    }

    void signal(int signo) const;
    /// Writes to stdin (kept open); a child that closed its end makes later writes no-ops.
    void write_stdin(const std::string& text);
    void close_stdin();

    /// Waits for exit, collecting output; the wait status, or nullopt if the child still runs
    /// after `timeout` (it is left running).
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// Closes stdin and waits for exit, with SIGKILL after `timeout` (then timed_out()). The
    /// exit code, or 128 + the signal that ended the child.
    int wait_exit_code(std::chrono::milliseconds timeout = std::chrono::seconds(60));
    bool timed_out() const { return timed_out_; }

    const std::string& output() const { return out_; }
    /// Stderr so far (what is ready in the pipe is read first).
    const std::string& error_output();

private:
    bool pump(int timeout_ms); // reads what is ready (waiting up to timeout_ms); false if none
    void drain();              // reads everything ready now

    pid_t pid_ = -1;
    int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
    std::string out_, err_;
    bool reaped_ = false;
    bool timed_out_ = false;
};

/// Runs argv to completion (stdio on /dev/null), as user and group `uid` unless it is 0 (exit
/// 126 if it cannot switch); the child's pid and wait status.
std::pair<pid_t, int> run_and_wait(const std::vector<std::string>& argv, uid_t uid = 0);

struct RunResult {
    int status = -1; ///< exit code, or 128 + signal (see ChildProcess::wait_exit_code)
    std::string out, err;
};

/// Runs argv to completion with `input` on stdin.
RunResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                      const std::optional<std::vector<std::string>>& env = std::nullopt);

} // namespace wbpf::test

namespace wbpf::e2e {
using test::ChildProcess;
using test::run_and_wait;
} // namespace wbpf::e2e
