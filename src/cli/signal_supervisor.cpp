#include "cli/signal_supervisor.hpp"

#include "cli/exit_codes.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <csignal>
#include <unistd.h>

namespace wbpf::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds hard_stop_delay{2000};
/// How often a grace period that ran out during host teardown looks again.
constexpr std::chrono::milliseconds teardown_recheck{50};

sigset_t shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

/// Writes a whole string to stderr with write(2) (no stdio locks from this thread).
void write_stderr(const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = write(STDERR_FILENO, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

} // namespace

SignalSupervisor::SignalSupervisor(wasi::ShutdownToken& token, std::chrono::milliseconds grace)
    : token_(token), grace_(grace) {
    sigset_t set = shutdown_signals();
    // An ignored signal is discarded before signalfd can see it, and shells start background
    // jobs with SIGINT ignored: wbpf always wants both signals, so restore their default first
    // (they are blocked right after, so the default action never runs).
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr))
        throw std::system_error(err, std::generic_category(), "pthread_sigmask");
    signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
        int err = errno;
        close(signal_fd_);
        throw std::system_error(err, std::generic_category(), "eventfd");
    }
    thread_ = std::thread([this] { run(); });
}

SignalSupervisor::~SignalSupervisor() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
    thread_.join();
    close(stop_fd_);
    close(signal_fd_);
    // The signals stay blocked: one arriving now is ignored while wbpf finishes exiting.
}

std::string SignalSupervisor::stop_message() const {
    const char* name = signal() == SIGTERM ? "SIGTERM" : "SIGINT";
    if (second_signal_.load()) return std::string("wbpf: interrupted by a second ") + name + "\n";
    return std::string("wbpf: interrupted by ") + name + ": guest did not exit within " +
           std::to_string(grace_.count()) + " ms\n";
}

void SignalSupervisor::run() noexcept {
    enum class State { idle, draining, interrupting } state = State::idle;
    Clock::time_point deadline{};
    for (;;) {
        int timeout_ms = -1;
        if (state != State::idle) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            timeout_ms = left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
        }
        pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        int n = poll(fds, 2, timeout_ms);
        if (n < 0 && errno != EINTR) return;
        if (n > 0 && fds[1].revents) return;

        bool force = false;
        if (n > 0 && fds[0].revents) {
            signalfd_siginfo info{};
            while (read(signal_fd_, &info, sizeof info) == sizeof info) {
                if (state == State::idle) {
                    token_.request(static_cast<int>(info.ssi_signo));
                    state = State::draining;
                    deadline = Clock::now() + grace_;
                } else if (state == State::draining) {
                    second_signal_ = true;
                    force = true;
                }
            }
        }
        if (state == State::draining && Clock::now() >= deadline) {
            // Detaching BPF programs is not the guest dawdling: wait for it, re-checking.
            if (token_.tearing_down() && !force)
                deadline = Clock::now() + teardown_recheck;
            else
                force = true;
        }
        if (force && state == State::draining) {
            forced_ = true;
            if (wasm::Store* store = store_.load()) store->request_interrupt();
            state = State::interrupting;
            deadline = Clock::now() + hard_stop_delay;
        } else if (state == State::interrupting && Clock::now() >= deadline) {
            // The guest is stuck where interrupts cannot reach it (a blocking host call).
            write_stderr(stop_message());
            _exit(exit_code::signal_base + signal());
        }
    }
}

} // namespace wbpf::cli
