// WasiContext setup (stdio and preopens) and registration of the preview1 host functions.
#include "wasi/wasi.hpp"

#include "wasi/host_support.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

namespace wbpf::wasi {
namespace {

using wasm::HostCall;
using wasm::TrapKind;
using wasm::ValType;
using wasm::Value;

constexpr FunctionSignature signatures[] = {
    {"args_get", "ii", "i"},
    {"args_sizes_get", "ii", "i"},
    {"environ_get", "ii", "i"},
    {"environ_sizes_get", "ii", "i"},
    {"clock_res_get", "ii", "i"},
    {"clock_time_get", "iIi", "i"},
    {"fd_advise", "iIIi", "i"},
    {"fd_allocate", "iII", "i"},
    {"fd_close", "i", "i"},
    {"fd_datasync", "i", "i"},
    {"fd_fdstat_get", "ii", "i"},
    {"fd_fdstat_set_flags", "ii", "i"},
    {"fd_fdstat_set_rights", "iII", "i"},
    {"fd_filestat_get", "ii", "i"},
    {"fd_filestat_set_size", "iI", "i"},
    {"fd_filestat_set_times", "iIIi", "i"},
    {"fd_pread", "iiiIi", "i"},
    {"fd_prestat_get", "ii", "i"},
    {"fd_prestat_dir_name", "iii", "i"},
    {"fd_pwrite", "iiiIi", "i"},
    {"fd_read", "iiii", "i"},
    {"fd_readdir", "iiiIi", "i"},
    {"fd_renumber", "ii", "i"},
    {"fd_seek", "iIii", "i"},
    {"fd_sync", "i", "i"},
    {"fd_tell", "ii", "i"},
    {"fd_write", "iiii", "i"},
    {"path_create_directory", "iii", "i"},
    {"path_filestat_get", "iiiii", "i"},
    {"path_filestat_set_times", "iiiiIIi", "i"},
    {"path_link", "iiiiiii", "i"},
    {"path_open", "iiiiiIIii", "i"},
    {"path_readlink", "iiiiii", "i"},
    {"path_remove_directory", "iii", "i"},
    {"path_rename", "iiiiii", "i"},
    {"path_symlink", "iiiii", "i"},
    {"path_unlink_file", "iii", "i"},
    {"poll_oneoff", "iiii", "i"},
    {"proc_exit", "i", ""},
    {"proc_raise", "i", "i"},
    {"sched_yield", "", "i"},
    {"random_get", "ii", "i"},
    {"sock_accept", "iii", "i"},
    {"sock_recv", "iiiiii", "i"},
    {"sock_send", "iiiii", "i"},
    {"sock_shutdown", "ii", "i"},
};

wasm::FuncType to_func_type(const FunctionSignature& sig) {
    wasm::FuncType type;
    for (char c : sig.params)
        type.params.push_back(c == 'I' ? ValType::i64 : ValType::i32);
    for (char c : sig.results)
        type.results.push_back(c == 'I' ? ValType::i64 : ValType::i32);
    return type;
}

TrapKind call_implementation(HostCall& call, const Value* args, Value* results) {
    auto* binding = static_cast<const detail::Binding*>(call.context);
    Env env{*binding->context, call.memory(), call};
    results[0] = Value(static_cast<uint32_t>(binding->function(env, args)));
    return TrapKind::none;
}

TrapKind proc_exit(HostCall& call, const Value* args, Value*) {
    call.store.set_exit_code(static_cast<int32_t>(args[0].i32));
    return TrapKind::host_exit;
}

Implementation find_implementation(std::string_view name) {
    auto search = [&](const NamedImplementation* table, size_t n) -> Implementation {
        for (size_t i = 0; i < n; ++i)
            if (table[i].name == name) return table[i].function;
        return nullptr;
    };
    if (auto f = search(args_env_clock_functions, args_env_clock_function_count)) return f;
    if (auto f = search(fd_functions, fd_function_count)) return f;
    if (auto f = search(path_functions, path_function_count)) return f;
    return search(poll_sock_functions, poll_sock_function_count);
}

FdEntry stdio_entry(int host_fd) {
    FdEntry e;
    e.host_fd = host_fd;
    e.borrowed = true;
    e.type = filetype_of(host_fd);
    e.base = rights::all;
    // wasi-libc's isatty() is "a character device without seek/tell rights".
    if (isatty(host_fd)) e.base &= ~(rights::fd_seek | rights::fd_tell);
    e.inheriting = 0;
    return e;
}

} // namespace

std::span<const FunctionSignature> preview1_functions() noexcept {
    return signatures;
}

WasiContext::WasiContext(WasiConfig config) : config_(std::move(config)) {
    fds_.insert_at(0, stdio_entry(config_.stdin_fd));
    fds_.insert_at(1, stdio_entry(config_.stdout_fd));
    fds_.insert_at(2, stdio_entry(config_.stderr_fd));
    uint32_t next = 3;
    for (const Preopen& p : config_.preopens) {
        int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw WasiSetupError("--dir " + p.host_path + ": " + std::strerror(errno));
        FdEntry e;
        e.host_fd = fd;
        e.type = Filetype::directory;
        e.base = p.read_only ? rights::all & ~rights::modifying : rights::all;
        e.inheriting = e.base;
        e.preopen_name = p.guest_path;
        fds_.insert_at(next++, std::move(e));
    }
}

void WasiContext::add_to(wasm::Store& store, wasm::Imports& imports) {
    // Bindings live as long as the context (the host functions point at them).
    static_assert(std::size(signatures) == 46);
    for (const FunctionSignature& sig : signatures) {
        wasm::FuncType type = to_func_type(sig);
        wasm::FunctionInstance* f;
        if (sig.name == "proc_exit") {
            f = &store.add_host_function(type, proc_exit, this);
        } else {
            Implementation impl = find_implementation(sig.name);
            if (!impl) throw std::logic_error("no implementation of " + std::string(sig.name));
            bindings_.push_back(detail::Binding{this, impl});
            f = &store.add_host_function(type, call_implementation, &bindings_.back());
        }
        imports.add(std::string(module_name), std::string(sig.name), wasm::Extern::of(*f));
    }
}

} // namespace wbpf::wasi
