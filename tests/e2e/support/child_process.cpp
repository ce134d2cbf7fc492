#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace wbpf::test {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (const auto& s : strings)
        result.push_back(const_cast<char*>(s.c_str()));
    result.push_back(nullptr);
    return result;
}

void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
}

} // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::optional<std::vector<std::string>>& env) {
    // A child may exit without reading its input: report EPIPE, do not kill the harness.
    ::signal(SIGPIPE, SIG_IGN);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    auto args = c_strings(argv);
    std::vector<char*> envp;
    if (env) envp = c_strings(*env);
    int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), env ? envp.data() : environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_fd_ = in[1];
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("posix_spawn " + argv[0] + " failed");
    }
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    close_fd(in_fd_);
    close_fd(out_fd_);
    close_fd(err_fd_);
}

bool ChildProcess::pump(int timeout_ms) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    if (poll(fds, 2, timeout_ms) <= 0) return false;
    char buffer[65536];
    bool got = false;
    for (int i = 0; i < 2; ++i) {
        if (!fds[i].revents) continue;
        int& fd = i == 0 ? out_fd_ : err_fd_;
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            (i == 0 ? out_ : err_).append(buffer, static_cast<size_t>(n));
            got = true;
        } else if (n == 0 || errno != EINTR) {
            close_fd(fd);
        }
    }
    return got;
}

void ChildProcess::drain() {
    while (pump(0)) {
    }
}

bool ChildProcess::wait_for_output(const std::function<bool(const std::string&)>& done,
                                   std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(out_)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (out_fd_ < 0 && err_fd_ < 0) {
            usleep(5000); // nothing more can come; wait out the timeout as before
            continue;
        }
        pump(static_cast<int>(std::min<long>(left.count(), 50)));
    }
    return true;
}

void ChildProcess::signal(int signo) const {
    if (!reaped_ && pid_ > 0) kill(pid_, signo);
}

void ChildProcess::write_stdin(const std::string& text) {
    size_t done = 0;
    while (in_fd_ >= 0 && done < text.size()) {
        ssize_t n = write(in_fd_, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_fd(in_fd_);
            break;
        }
        done += static_cast<size_t>(n);
    }
}

void ChildProcess::close_stdin() {
    close_fd(in_fd_);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (!reaped_ && waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            drain(); // the child is gone: what it wrote is in the pipes
            return status;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        if (!pump(10)) usleep(5000);
    }
}

int ChildProcess::wait_exit_code(std::chrono::milliseconds timeout) {
    close_stdin();
    std::optional<int> status = wait(timeout);
    if (!status) {
        timed_out_ = true;
        kill(pid_, SIGKILL);
        status = wait(std::chrono::hours(1));
    }
    if (WIFEXITED(*status)) return WEXITSTATUS(*status);
    return 128 + WTERMSIG(*status);
}

const std::string& ChildProcess::error_output() {
    drain();
    return err_;
}

std::pair<pid_t, int> run_and_wait(const std::vector<std::string>& argv, uid_t uid) {
    auto args = c_strings(argv);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, 0);
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

RunResult run_process(const std::vector<std::string>& argv, const std::string& input,
                      const std::optional<std::vector<std::string>>& env) {
    ChildProcess child(argv, env);
    child.write_stdin(input);
    RunResult result;
    result.status = child.wait_exit_code();
    result.out = child.output();
    result.err = child.error_output();
    return result;
}

} // namespace wbpf::test
