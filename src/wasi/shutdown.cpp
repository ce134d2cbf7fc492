#include "wasi/shutdown.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

namespace wbpf::wasi {

ShutdownToken::ShutdownToken() {
    fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

ShutdownToken::~ShutdownToken() {
    if (fd_ >= 0) close(fd_);
}

void ShutdownToken::request(int signal) noexcept {
    int expected = 0;
    signal_.compare_exchange_strong(expected, signal, std::memory_order_relaxed);
    requested_.store(true, std::memory_order_release);
    uint64_t one = 1;
    // The counter only needs to be non-zero; a full counter (EAGAIN) is as good as success.
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

} // namespace wbpf::wasi
