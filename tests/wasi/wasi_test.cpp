// WASI preview1 and `wbpf run`: each guest in guests/ runs natively and under wbpf with the
// same arguments, environment and input; outputs must match byte for byte. Lines starting with
// "wasi:" are printed by wasm-only code paths and are checked separately.
#include "child_process.hpp"

#include "wasi/wasi.hpp"
#include "wasm/wasm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using wbpf::test::ChildProcess;
using wbpf::test::run_process;
using wbpf::test::RunResult;

namespace {

const std::string wbpf_exe = WBPF_EXE;

std::string wasm_guest(const std::string& name) {
    return std::string(WASI_GUEST_DIR) + "/" + name + ".wasm";
}
std::string native_guest(const std::string& name) {
    return std::string(WASI_NATIVE_DIR) + "/" + name;
}

/// argv for `wbpf run [options] guest.wasm args...`.
std::vector<std::string> wbpf_run(const std::string& guest, std::vector<std::string> options,
                                  const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv = {wbpf_exe, "run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(wasm_guest(guest));
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::vector<std::string> native_run(const std::string& guest,
                                    const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv = {native_guest(guest)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string without_wasi_lines(const std::string& text) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line))
        if (line.rfind("wasi:", 0) != 0) out += line + "\n";
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

/// Lines wbpf itself printed (they start with "wbpf:").
size_t wbpf_line_count(const std::string& err) {
    size_t n = 0;
    for (auto& l : lines_of(err))
        n += l.rfind("wbpf:", 0) == 0;
    return n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// A fresh temporary directory, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "wbpf-wasi-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// --- coverage ------------------------------------------------------------------------------

const char* const all_guests[] = {"args_env", "clocks",     "escape",         "exit_code", "files",
                                  "misc",     "stdin_echo", "missing_import", "sleeper",   "trap"};

TEST(WasiCoverage, EveryPreview1FunctionIsImportedByATestGuest) {
    std::map<std::string, std::set<std::string>> importers;
    for (const char* guest : all_guests) {
        std::ifstream file(wasm_guest(guest), std::ios::binary);
        ASSERT_TRUE(file) << wasm_guest(guest);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), {});
        auto module = wbpf::wasm::parse_module(bytes);
        for (const auto& import : module->imports)
            if (import.module == wbpf::wasi::module_name) importers[import.name].insert(guest);
    }
    size_t covered = 0, total = 0;
    std::cout << "WASI preview1 coverage (function: guests importing it):\n";
    for (const auto& fn : wbpf::wasi::preview1_functions()) {
        ++total;
        auto it = importers.find(std::string(fn.name));
        bool ok = it != importers.end();
        covered += ok;
        std::cout << "  [" << (ok ? "x" : " ") << "] " << fn.name;
        if (ok) {
            std::cout << ":";
            for (auto& g : it->second)
                std::cout << " " << g;
        }
        std::cout << "\n";
        EXPECT_TRUE(ok) << fn.name << " is not exercised by any test guest";
    }
    std::cout << "  " << covered << "/" << total << " functions covered\n";
    for (auto& [name, guests] : importers) {
        bool known = false;
        for (const auto& fn : wbpf::wasi::preview1_functions())
            known |= fn.name == name;
        EXPECT_TRUE(known) << "guest imports unknown preview1 function " << name;
    }
}

// --- side-by-side ----------------------------------------------------------------------------

TEST(WasiTwin, ArgsAndEnvironment) {
    std::vector<std::string> args = {"plain", "with space", "-d", "50", "--dir", "x", "ünï"};
    std::vector<std::string> env = {"HOME=/home/guest", "EMPTY=", "WITH_EQ=a=b", "Z=last"};
    RunResult native = run_process(native_run("args_env", args), "", env);
    std::vector<std::string> options;
    for (auto& e : env) {
        options.push_back("--env");
        options.push_back(e);
    }
    RunResult wasm = run_process(wbpf_run("args_env", options, args));
    ASSERT_EQ(native.status, 0) << native.err;
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_EQ(wasm.out, native.out);
    EXPECT_EQ(wasm.err, "");
}

TEST(WasiTwin, NoEnvironmentUnlessGiven) {
    RunResult wasm = run_process(wbpf_run("args_env", {}));
    EXPECT_EQ(wasm.status, 0);
    EXPECT_NE(wasm.out.find("envc=0\n"), std::string::npos) << wasm.out;
}

TEST(WasiTwin, ClocksAndSleep) {
    RunResult native = run_process(native_run("clocks"));
    RunResult wasm = run_process(wbpf_run("clocks", {}));
    ASSERT_EQ(native.status, 0);
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_EQ(wasm.out, native.out) << "native stderr: " << native.err;
    EXPECT_EQ(wasm.out.find("FAILED"), std::string::npos) << wasm.out << wasm.err;
}

TEST(WasiTwin, StdinPollAndStdio) {
    std::string input = "first line\nsecond line\n\nlast without newline";
    RunResult native = run_process(native_run("stdin_echo"), input);
    RunResult wasm = run_process(wbpf_run("stdin_echo", {}), input);
    ASSERT_EQ(native.status, 0);
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_EQ(wasm.out, native.out);
    EXPECT_EQ(wasm.err, native.err);
}

TEST(WasiTwin, EveryFileOperationInAPreopen) {
    TempDir tmp;
    fs::create_directories(tmp.path() / "native" / "box");
    fs::create_directories(tmp.path() / "wasm" / "box");
    std::string native_box = (tmp.path() / "native" / "box").string();
    std::string wasm_box = (tmp.path() / "wasm" / "box").string();
    RunResult native = run_process(native_run("files", {native_box}));
    RunResult wasm = run_process(wbpf_run("files", {"--dir", wasm_box}, {wasm_box}));
    ASSERT_EQ(native.status, 0) << native.err;
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_EQ(without_wasi_lines(wasm.out), native.out);
    // The wasm-only lines: fd_renumber, rights can be dropped but not regained.
    EXPECT_NE(wasm.out.find("wasi: renumber: 0\n"), std::string::npos);
    EXPECT_NE(wasm.out.find("wasi: renumber closed: 8\n"), std::string::npos); // EBADF
    EXPECT_NE(wasm.out.find("wasi: drop write right: 0\n"), std::string::npos);
    EXPECT_NE(wasm.out.find("wasi: regain write right: 76\n"), std::string::npos);
    EXPECT_NE(wasm.out.find("wasi: write without right: -1 EBADF\n"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(wasm_box)) << "the guest cleans up after itself";
}

TEST(WasiTwin, GuestMappedPreopenName) {
    TempDir tmp;
    std::string host = (tmp.path() / "hostside").string();
    fs::create_directories(host);
    RunResult wasm = run_process(wbpf_run("files", {"--dir", host + "::/sandbox"}, {"/sandbox"}));
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_NE(wasm.out.find("mkdir d: OK\n"), std::string::npos) << wasm.out;
    EXPECT_NE(wasm.out.find("rmdir d: OK\n"), std::string::npos) << wasm.out;
}

TEST(WasiTwin, MiscRandomYieldSocketsProcRaise) {
    RunResult native = run_process(native_run("misc"), "input");
    RunResult wasm = run_process(wbpf_run("misc", {}), "input");
    ASSERT_EQ(native.status, 0);
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    EXPECT_EQ(without_wasi_lines(wasm.out), native.out);
    EXPECT_NE(wasm.out.find("wasi: proc_raise: 52"), std::string::npos) << wasm.out;
    for (const char* call : {"fd_write bad iovec", "fd_write bad buffer", "random_get bad buffer",
                             "clock_time_get bad result", "args_get bad buffer"})
        EXPECT_NE(wasm.out.find(std::string("wasi: ") + call + ": 21\n"), std::string::npos)
            << call << " must fail with EFAULT:\n"
            << wasm.out;
}

TEST(WasiTwin, ExitCodes) {
    for (int code : {0, 1, 3, 42, 255}) {
        RunResult native = run_process(native_run("exit_code", {std::to_string(code)}));
        RunResult wasm = run_process(wbpf_run("exit_code", {}, {std::to_string(code)}));
        EXPECT_EQ(native.status, code);
        EXPECT_EQ(wasm.status, code) << wasm.err;
        EXPECT_EQ(wasm.err, "");
    }
    EXPECT_EQ(run_process(wbpf_run("exit_code", {})).status, 0); // _start returns
}

// --- sandbox ---------------------------------------------------------------------------------

/// The layout escape.c expects: box/{up,abs,deep,loop1,loop2,sub/,file.txt}, outside/secret.txt
std::string make_escape_layout(const fs::path& root) {
    fs::create_directories(root / "box" / "sub");
    fs::create_directories(root / "outside");
    std::ofstream(root / "outside" / "secret.txt") << "secret\n";
    std::ofstream(root / "box" / "file.txt") << "file\n";
    fs::create_directory_symlink("..", root / "box" / "up");
    fs::create_directory_symlink("/etc", root / "box" / "abs");
    fs::create_directory_symlink("sub/../..", root / "box" / "deep");
    fs::create_symlink("loop2", root / "box" / "loop1");
    fs::create_symlink("loop1", root / "box" / "loop2");
    return (root / "box").string();
}

TEST(WasiSandbox, EscapesFailInsideWhileTheNativeTwinSucceeds) {
    TempDir native_tmp, wasm_tmp;
    std::string native_box = make_escape_layout(native_tmp.path());
    std::string wasm_box = make_escape_layout(wasm_tmp.path());

    RunResult native = run_process(native_run("escape", {native_box}));
    EXPECT_NE(native.out.find("dotdot: ESCAPED"), std::string::npos)
        << "the native twin shows these paths do lead outside:\n"
        << native.out;

    RunResult wasm = run_process(wbpf_run("escape", {"--dir", wasm_box}, {wasm_box}));
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    auto lines = lines_of(wasm.out);
    EXPECT_EQ(lines.size(), lines_of(native.out).size());
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("ESCAPED"), std::string::npos) << line;
        bool expected_errno =
            line.find("(ENOTCAPABLE)") != std::string::npos ||
            line.find("(EPERM)") != std::string::npos ||
            (line.rfind("symlink loop", 0) == 0 && line.find("(ELOOP)") != std::string::npos);
        EXPECT_TRUE(expected_errno) << line;
    }
    EXPECT_TRUE(fs::exists(wasm_tmp.path() / "outside" / "secret.txt"));
    EXPECT_FALSE(fs::exists(wasm_tmp.path() / "outside" / "created.txt"));
    EXPECT_FALSE(fs::exists(wasm_tmp.path() / "outside" / "newdir"));
    EXPECT_FALSE(fs::exists(wasm_tmp.path() / "outside" / "stolen.txt"));
    EXPECT_TRUE(fs::exists(wasm_tmp.path() / "box" / "file.txt"));
}

TEST(WasiSandbox, NoDirectoryMeansNoFileSystem) {
    TempDir tmp;
    std::string box = (tmp.path() / "box").string();
    fs::create_directories(box);
    RunResult wasm = run_process(wbpf_run("files", {}, {box}));
    EXPECT_NE(wasm.out.find("mkdir d: ENOTCAPABLE\n"), std::string::npos) << wasm.out;
    EXPECT_TRUE(fs::is_empty(box));
}

TEST(WasiSandbox, ReadOnlyDirectoryCanBeReadButNeverChanged) {
    TempDir tmp;
    fs::path box = tmp.path() / "box";
    fs::create_directories(box / "sub");
    std::ofstream(box / "keep.txt") << "keep";
    const auto mtime = fs::last_write_time(box / "keep.txt");

    RunResult wasm = run_process(wbpf_run("read_only", {"--ro-dir", box.string()}, {box.string()}));
    EXPECT_EQ(wasm.status, 0) << wasm.err;
    auto lines = lines_of(wasm.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "read keep.txt: keep");
    int attempts = 0;
    for (const auto& line : lines) {
        if (line.rfind("read ", 0) == 0 || line.empty()) continue;
        ++attempts;
        EXPECT_EQ(line.find("DONE"), std::string::npos) << "a read-only preopen allowed: " << line;
    }
    EXPECT_EQ(attempts, 11) << wasm.out;
    std::ifstream kept(box / "keep.txt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "keep");
    EXPECT_EQ(fs::last_write_time(box / "keep.txt"), mtime);
    std::vector<std::string> entries;
    for (const auto& entry : fs::directory_iterator(box))
        entries.push_back(entry.path().filename().string());
    std::sort(entries.begin(), entries.end());
    EXPECT_EQ(entries, (std::vector<std::string>{"keep.txt", "sub"}));

    // The same guest with --dir changes the directory: the test itself can tell.
    RunResult writable =
        run_process(wbpf_run("read_only", {"--dir", box.string()}, {box.string()}));
    EXPECT_NE(writable.out.find("create new.txt: DONE"), std::string::npos) << writable.out;
}

// --- the C SDK's libc fast paths ----------------------------------------------------------

// sdk/c/wbpf/fast_strftime.h: the guest compares wbpf_strftime() with wasi-libc's strftime over
// formats, fields in and out of range and buffer sizes, and checks the fast path is taken.
TEST(SdkFastStrftime, SameResultsAsTheLibcAndFastForTheCommonFormats) {
    RunResult r = run_process(wbpf_run("fast_strftime", {}));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "4900500 comparisons, 0 failures\n");
    EXPECT_EQ(r.err, "");
}

// sdk/c/wbpf/fast_printf.h: the guest compares wbpf_vsnprintf() with wasi-libc's vsnprintf over
// random conversions and tools' lines, checks the fast path takes what it covers, then prints
// through wbpf_printf()/wbpf_fprintf(): fast, handed to the libc, and longer than its buffer.
TEST(SdkFastPrintf, SameResultsAsTheLibcAndFastForWhatToolsPrint) {
    RunResult r = run_process(wbpf_run("fast_printf", {}));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "404242 comparisons, 0 failures\n"
                     "12:34:56 EXEC  true             1234    42      /bin/true\n"
                     "EXIT  [0] (12ms)\n"
                     "2.500 handed over\n" +
                         std::string(599, '0') + "7|\n");
    EXPECT_EQ(r.err, "to stderr: -1\n");
}

// --- wbpf run: failures --------------------------------------------------------------------

TEST(WbpfRun, TrapPrintsOneLineAndBacktrace) {
    RunResult r = run_process(wbpf_run("trap", {}));
    EXPECT_EQ(r.status, 134);
    EXPECT_EQ(r.out, "");
    auto lines = lines_of(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "wbpf: trap: unreachable in explode (" + wasm_guest("trap") + ")");
    EXPECT_EQ(wbpf_line_count(r.err), 1u) << r.err;
    ASSERT_GE(lines.size(), 3u);
    EXPECT_EQ(lines[1], "  at explode");
    for (size_t i = 1; i < lines.size(); ++i)
        EXPECT_EQ(lines[i].rfind("  ", 0), 0u) << lines[i];
    EXPECT_NE(r.err.find("  at __original_main"), std::string::npos) << r.err;
}

TEST(WbpfRun, ProcExit42) {
    RunResult r = run_process(wbpf_run("exit_code", {}, {"42"}));
    EXPECT_EQ(r.status, 42);
    EXPECT_EQ(r.err, "");
}

TEST(WbpfRun, NotWasm) {
    TempDir tmp;
    std::string file = (tmp.path() / "text.wasm").string();
    std::ofstream(file) << "#!/bin/sh\necho not wasm\n";
    RunResult r = run_process({wbpf_exe, "run", file});
    EXPECT_EQ(r.status, 65);
    EXPECT_EQ(r.err, "wbpf: " + file + ": not a WebAssembly module\n");
}

TEST(WbpfRun, MalformedModule) {
    TempDir tmp;
    std::string file = (tmp.path() / "cut.wasm").string();
    // A type section that claims 127 bytes and has none.
    std::ofstream(file, std::ios::binary) << std::string("\0asm\1\0\0\0\1\x7f\1", 11);
    RunResult r = run_process({wbpf_exe, "run", file});
    EXPECT_EQ(r.status, 65);
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("wbpf: " + file + ": ", 0), 0u) << r.err;
}

TEST(WbpfRun, MissingImport) {
    RunResult r = run_process(wbpf_run("missing_import", {}));
    EXPECT_EQ(r.status, 67);
    EXPECT_EQ(r.err, "wbpf: " + wasm_guest("missing_import") +
                         ": unknown import \"env\" \"does_not_exist\"\n");
}

TEST(WbpfRun, FileNotFound) {
    RunResult r = run_process({wbpf_exe, "run", "/nonexistent/app.wasm"});
    EXPECT_EQ(r.status, 66);
    EXPECT_EQ(r.err, "wbpf: /nonexistent/app.wasm: No such file or directory\n");
}

TEST(WbpfRun, BadDirectory) {
    RunResult r = run_process(wbpf_run("exit_code", {"--dir", "/nonexistent-dir"}));
    EXPECT_EQ(r.status, 66);
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST(WbpfRun, UsageErrors) {
    RunResult r = run_process({wbpf_exe, "run"});
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    r = run_process(wbpf_run("exit_code", {"--env", "NOEQUALS"}));
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    r = run_process({wbpf_exe, "frobnicate"});
    EXPECT_EQ(r.status, 64);
}

TEST(WbpfRun, HelpAndVersion) {
    RunResult r = run_process({wbpf_exe, "--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("wbpf ", 0), 0u);
    r = run_process({wbpf_exe, "run", "--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("--dir"), std::string::npos);
    r = run_process({wbpf_exe, "-h"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("run"), std::string::npos);
}

// --- signals ---------------------------------------------------------------------------------

TEST(WbpfSignals, SigintWakesASleepingGuestAtOnce) {
    ChildProcess child(wbpf_run("sleeper", {}, {"sleep"}));
    ASSERT_TRUE(child.wait_for_text("ready\n", 10s)) << child.error_output();
    std::this_thread::sleep_for(200ms); // let it enter poll_oneoff
    auto start = std::chrono::steady_clock::now();
    child.signal(SIGINT);
    // Behaviour, not speed (speed belongs to benchmarks): the 600 s sleep ended early, woken by
    // the signal. The time is printed for information only.
    int status = child.wait_exit_code(60s);
    std::cout << "  SIGINT -> sleeping guest exited after " << seconds_since(start) * 1000
              << " ms\n";
    EXPECT_FALSE(child.timed_out());
    // sleep() returned early; the guest then exited on its own (status 5 in sleeper.c).
    EXPECT_EQ(child.output(), "ready\nsleep returned early\n");
    EXPECT_EQ(status, 5) << child.error_output();
    EXPECT_EQ(child.error_output(), "");
}

TEST(WbpfSignals, SigtermWakesASleepingGuestToo) {
    ChildProcess child(wbpf_run("sleeper", {}, {"sleep"}));
    ASSERT_TRUE(child.wait_for_text("ready\n", 10s));
    std::this_thread::sleep_for(200ms);
    child.signal(SIGTERM);
    int status = child.wait_exit_code(60s);
    EXPECT_FALSE(child.timed_out());
    EXPECT_EQ(child.output(), "ready\nsleep returned early\n");
    EXPECT_EQ(status, 5);
}

TEST(WbpfSignals, SigintStopsAComputeLoopAfterTheGracePeriod) {
    ChildProcess child(wbpf_run("sleeper", {}, {"spin"}));
    ASSERT_TRUE(child.wait_for_text("ready\n", 10s));
    auto start = std::chrono::steady_clock::now();
    child.signal(SIGINT);
    int status = child.wait_exit_code(20s);
    double elapsed = seconds_since(start);
    std::cout << "  SIGINT -> spinning guest stopped after " << elapsed * 1000
              << " ms (grace period 1000 ms)\n";
    EXPECT_GE(elapsed, 0.9); // the guest got its grace period before being stopped
    EXPECT_FALSE(child.timed_out());
    EXPECT_EQ(status, 130);
    EXPECT_EQ(child.error_output(),
              "wbpf: interrupted by SIGINT: guest did not exit within 1000 ms\n");
}

TEST(WbpfSignals, SecondSigintStopsAtOnce) {
    ChildProcess child(wbpf_run("sleeper", {"--grace-period", "60000"}, {"spin"}));
    ASSERT_TRUE(child.wait_for_text("ready\n", 10s));
    child.signal(SIGINT);
    std::this_thread::sleep_for(200ms);
    auto start = std::chrono::steady_clock::now();
    child.signal(SIGINT);
    int status = child.wait_exit_code(20s);
    // Stopped without waiting for the 60 s grace period of the first signal.
    EXPECT_FALSE(child.timed_out());
    EXPECT_LT(seconds_since(start), 30.0);
    EXPECT_EQ(status, 130);
    EXPECT_EQ(child.error_output(), "wbpf: interrupted by a second SIGINT\n");
}

} // namespace
