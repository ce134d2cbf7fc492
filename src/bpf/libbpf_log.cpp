#include "bpf/libbpf_log.hpp"

#include <bpf/libbpf.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace wbpf::bpf {
namespace {

std::atomic<bool> verbose_messages{false};
std::string rejected_program; // only touched from the guest's (single) thread

// Remembers `name` from "libbpf: prog 'name': BPF program load failed: ...".
void note_rejection(std::string_view line) {
    constexpr std::string_view prefix = "prog '";
    constexpr std::string_view marker = "': BPF program load failed";
    size_t end = line.find(marker);
    if (end == std::string_view::npos) return;
    size_t begin = line.rfind(prefix, end);
    if (begin == std::string_view::npos) return;
    begin += prefix.size();
    rejected_program.assign(line.substr(begin, end - begin));
}

int print_libbpf_message(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_WARN) {
        va_list copy;
        va_copy(copy, args);
        char line[512];
        int n = std::vsnprintf(line, sizeof line, format, copy);
        va_end(copy);
        if (n > 0) note_rejection(std::string_view(line, std::min<size_t>(n, sizeof line - 1)));
    }
    if (!verbose_messages.load(std::memory_order_relaxed)) return 0;
    return std::vfprintf(stderr, format, args);
}

} // namespace

void route_libbpf_messages(bool verbose) {
    verbose_messages.store(verbose, std::memory_order_relaxed);
    libbpf_set_print(print_libbpf_message);
}

std::string take_rejected_program() {
    std::string name;
    name.swap(rejected_program);
    return name;
}

} // namespace wbpf::bpf
