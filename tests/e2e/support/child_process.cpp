#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> result;
    for (const auto& arg : argv)
        result.push_back(const_cast<char*>(arg.c_str()));
    result.push_back(nullptr);
    return result;
}

} // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    char path[] = "/tmp/wbpf-e2e-stderr-XXXXXX";
    int err_fd = mkstemp(path);
    if (err_fd < 0) throw std::runtime_error("mkstemp failed");
    stderr_path_ = path;
    int out_pipe[2], in_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    auto args = c_argv(argv);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_fd, 2);
        execv(args[0], args.data());
        _exit(127);
    }
    close(err_fd);
    close(out_pipe[1]);
    close(in_pipe[0]);
    stdout_fd_ = out_pipe[0];
    stdin_fd_ = in_pipe[1];
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    if (stdin_fd_ >= 0) close(stdin_fd_);
    if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

bool ChildProcess::read_available(int timeout_ms) {
    if (stdout_fd_ < 0) return false;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    char buffer[65536];
    ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) {
        close(stdout_fd_);
        stdout_fd_ = -1;
        return false;
    }
    output_.append(buffer, static_cast<size_t>(n));
    return true;
}

bool ChildProcess::wait_for_output(const std::function<bool(const std::string&)>& done,
                                   std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(output_)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (stdout_fd_ < 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            if (std::chrono::steady_clock::now() >= deadline) return done(output_);
            continue;
        }
        read_available(static_cast<int>(std::min<long>(left.count(), 50)));
    }
    return true;
}

void ChildProcess::signal(int signo) const {
    if (!reaped_) kill(pid_, signo);
}

void ChildProcess::write_stdin(const std::string& text) {
    if (stdin_fd_ >= 0 && ::write(stdin_fd_, text.data(), text.size()) < 0) {
        close(stdin_fd_);
        stdin_fd_ = -1;
    }
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            reaped_ = true;
            while (read_available(0)) {
            }
            return status;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        if (!read_available(10)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string ChildProcess::error_output() const {
    std::ifstream in(stderr_path_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::pair<pid_t, int> run_and_wait(const std::vector<std::string>& argv) {
    auto args = c_argv(argv);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {pid, status};
}

} // namespace wbpf::e2e
