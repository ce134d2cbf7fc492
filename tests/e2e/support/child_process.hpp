// A child process for end-to-end tests: argv run with stdin and stdout as pipes (stderr goes to
// a file), output collected as it arrives.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace wbpf::e2e {

class ChildProcess {
public:
    /// Starts argv[0] (a path) with argv; throws std::runtime_error if it cannot.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess(); // kills and reaps a child still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }

    /// Reads output until `done(output)` holds or the timeout passes; returns whether it held.
    bool wait_for_output(const std::function<bool(const std::string&)>& done,
                         std::chrono::milliseconds timeout);
    bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
        return wait_for_output(
            [&](const std::string& out) { return out.find(text) != std::string::npos; }, timeout);
    }

    void signal(int signo) const;
    void write_stdin(const std::string& text);

    /// Waits for exit (reading the rest of stdout); the wait status, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    const std::string& output() const { return output_; }
    std::string error_output() const;

private:
    bool read_available(int timeout_ms);

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    int stdin_fd_ = -1;
    std::string stderr_path_;
    std::string output_;
    bool reaped_ = false;
};

/// Runs argv to completion (stdout and stderr discarded); returns the child's pid and status.
std::pair<pid_t, int> run_and_wait(const std::vector<std::string>& argv);

} // namespace wbpf::e2e
