// Process-level preview1 functions: args, environ, clocks, random, sched_yield, proc_raise.
#include "wasi/host_support.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <sched.h>
#include <sys/random.h>

namespace wbpf::wasi {
namespace {

using wasm::Value;

/// Writes a pointer array and the NUL-terminated strings it points to (args_get/environ_get).
Errno store_strings(Env& env, const std::vector<std::string>& strings, uint32_t ptrs,
                    uint32_t buf) {
    uint64_t total = 0;
    for (auto& s : strings)
        total += s.size() + 1;
    uint8_t* out = env.bytes(buf, total);
    if (!out || !env.bytes(ptrs, uint64_t{4} * strings.size())) return errno_::fault;
    uint64_t offset = 0;
    for (size_t i = 0; i < strings.size(); ++i) {
        env.store(ptrs + uint64_t{4} * i, static_cast<uint32_t>(buf + offset));
        std::memcpy(out + offset, strings[i].c_str(), strings[i].size() + 1);
        offset += strings[i].size() + 1;
    }
    return errno_::success;
}

Errno store_sizes(Env& env, const std::vector<std::string>& strings, uint32_t count_ptr,
                  uint32_t size_ptr) {
    uint64_t total = 0;
    for (auto& s : strings)
        total += s.size() + 1;
    if (total > UINT32_MAX) return errno_::overflow;
    if (!env.store(count_ptr, static_cast<uint32_t>(strings.size())) ||
        !env.store(size_ptr, static_cast<uint32_t>(total)))
        return errno_::fault;
    return errno_::success;
}

Errno args_get(Env& env, const Value* a) {
    return store_strings(env, env.ctx.config().args, a[0].i32, a[1].i32);
}
Errno args_sizes_get(Env& env, const Value* a) {
    return store_sizes(env, env.ctx.config().args, a[0].i32, a[1].i32);
}
Errno environ_get(Env& env, const Value* a) {
    return store_strings(env, env.ctx.config().env, a[0].i32, a[1].i32);
}
Errno environ_sizes_get(Env& env, const Value* a) {
    return store_sizes(env, env.ctx.config().env, a[0].i32, a[1].i32);
}

bool host_clock(uint32_t id, clockid_t& out) {
    switch (id) {
    case clockid::realtime: out = CLOCK_REALTIME; return true;
    case clockid::monotonic: out = CLOCK_MONOTONIC; return true;
    case clockid::process_cputime: out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case clockid::thread_cputime: out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
    }
}

uint64_t to_ns(const timespec& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

Errno clock_res_get(Env& env, const Value* a) {
    clockid_t id;
    if (!host_clock(a[0].i32, id)) return errno_::inval;
    timespec ts{};
    if (clock_getres(id, &ts) != 0) return last_errno();
    uint64_t res = to_ns(ts);
    if (res == 0) res = 1; // the spec requires a non-zero resolution
    return env.store(a[1].i32, res) ? errno_::success : errno_::fault;
}

Errno clock_time_get(Env& env, const Value* a) {
    clockid_t id;
    if (!host_clock(a[0].i32, id)) return errno_::inval;
    timespec ts{};
    if (clock_gettime(id, &ts) != 0) return last_errno();
    return env.store(a[2].i32, to_ns(ts)) ? errno_::success : errno_::fault;
}

Errno random_get(Env& env, const Value* a) {
    uint8_t* out = env.bytes(a[0].i32, a[1].i32);
    if (!out) return errno_::fault;
    size_t done = 0, len = a[1].i32;
    while (done < len) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return last_errno();
        done += static_cast<size_t>(n);
    }
    return errno_::success;
}

Errno sched_yield_(Env&, const Value*) {
    sched_yield();
    return errno_::success;
}

/// Signals cannot be delivered to a wasm guest: preview1 removed proc_raise's semantics.
Errno proc_raise(Env&, const Value*) {
    return errno_::nosys;
}

} // namespace

const NamedImplementation args_env_clock_functions[] = {
    {"args_get", args_get},           {"args_sizes_get", args_sizes_get},
    {"environ_get", environ_get},     {"environ_sizes_get", environ_sizes_get},
    {"clock_res_get", clock_res_get}, {"clock_time_get", clock_time_get},
    {"random_get", random_get},       {"sched_yield", sched_yield_},
    {"proc_raise", proc_raise},
};
const size_t args_env_clock_function_count = std::size(args_env_clock_functions);

} // namespace wbpf::wasi
