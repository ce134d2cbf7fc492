// Spawning a process with pipes for stdin/stdout/stderr, for the WASI test harness.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace wbpf::test {

class ChildProcess {
public:
    /// Starts argv[0] (a path) with `env` as its whole environment (inherited if nullopt).
    ChildProcess(const std::vector<std::string>& argv,
                 const std::optional<std::vector<std::string>>& env = std::nullopt);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// Writes `input` to the child's stdin and closes it.
    void write_stdin_and_close(const std::string& input);
    /// Reads stdout until it contains `text` or the timeout passes. True if found.
    bool wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout);
    void send_signal(int signal);
    /// Collects all output and waits for exit (SIGKILL after `timeout`). Returns the exit
    /// status, or 128 + signal if the child was killed by a signal.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }
    bool timed_out() const { return timed_out_; }

private:
    void pump(int timeout_ms);

    int pid_ = -1;
    int in_ = -1, out_fd_ = -1, err_fd_ = -1;
    std::string out_, err_;
    bool timed_out_ = false;
};

struct RunResult {
    int status = -1;
    std::string out, err;
};

/// Runs to completion with the given stdin.
RunResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                      const std::optional<std::vector<std::string>>& env = std::nullopt);

} // namespace wbpf::test
