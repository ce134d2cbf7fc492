// bootstrap end to end against the real kernel: build/examples/bootstrap.wasm under `wbpf run`,
// and the same checks on its native libbpf twin (bench/events/bootstrap_native), which pins the
// BPF object and the output format independently of the runtime.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> bootstrap_programs = {"handle_exec", "handle_exit"};

struct Runner {
    std::string name;
    std::vector<std::string> command; // argv before bootstrap's own options
};

void PrintTo(const Runner& runner, std::ostream* out) {
    *out << runner.name;
}

struct Line {
    std::string event, comm, rest;
    long pid = 0, ppid = 0;
};

std::vector<Line> parse_lines(const std::string& output) {
    std::vector<Line> lines;
    std::istringstream in(output);
    std::string text;
    while (std::getline(in, text)) {
        std::istringstream fields(text);
        std::string time;
        Line line;
        if (!(fields >> time >> line.event >> line.comm >> line.pid >> line.ppid)) continue;
        std::getline(fields >> std::ws, line.rest);
        lines.push_back(line);
    }
    return lines;
}

const Line* find_line(const std::string& output, const std::string& event, pid_t pid) {
    static std::vector<Line> lines; // keeps the returned pointer valid until the next call
    lines = parse_lines(output);
    for (const Line& line : lines)
        if (line.event == event && line.pid == pid) return &line;
    return nullptr;
}

bool has_line(const std::string& output, const std::string& event, pid_t pid) {
    return find_line(output, event, pid) != nullptr;
}

class BootstrapTest : public ::testing::TestWithParam<Runner> {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs into the kernel";
        for (const auto& path : {GetParam().command.front(), GetParam().command.back()})
            ASSERT_TRUE(file_exists(path)) << path << " is not built";
    }

    std::vector<std::string> command(const std::vector<std::string>& options = {}) const {
        std::vector<std::string> argv = GetParam().command;
        argv.insert(argv.end(), options.begin(), options.end());
        return argv;
    }

    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& options = {}) {
        auto child = std::make_unique<ChildProcess>(command(options));
        bool ready = child->wait_for_text("FILENAME/EXIT CODE\n", 20s);
        EXPECT_TRUE(ready) << "no header; stderr: " << child->error_output();
        return ready ? std::move(child) : nullptr;
    }
};

TEST_P(BootstrapTest, ReportsExactPidPpidFileNameAndExitCode) {
    auto bootstrap = start();
    ASSERT_TRUE(bootstrap);
    auto [sh, sh_status] = run_and_wait({"/bin/sh", "-c", "exit 3"});
    auto [tru, tru_status] = run_and_wait({"/bin/true"});
    ASSERT_EQ(WEXITSTATUS(sh_status), 3);
    ASSERT_EQ(WEXITSTATUS(tru_status), 0);

    bool seen = bootstrap->wait_for_output(
        [&](const std::string& out) { return has_line(out, "EXIT", tru); }, 10s);
    ASSERT_TRUE(seen) << bootstrap->output() << bootstrap->error_output();
    const std::string out = bootstrap->output();
    pid_t self = getpid();

    const Line* line = find_line(out, "EXEC", sh);
    ASSERT_TRUE(line) << out;
    EXPECT_EQ(line->comm, "sh");
    EXPECT_EQ(line->ppid, self);
    EXPECT_EQ(line->rest, "/bin/sh");
    line = find_line(out, "EXIT", sh);
    ASSERT_TRUE(line) << out;
    EXPECT_EQ(line->comm, "sh");
    EXPECT_EQ(line->ppid, self);
    EXPECT_EQ(line->rest.substr(0, 3), "[3]") << line->rest;
    line = find_line(out, "EXEC", tru);
    ASSERT_TRUE(line) << out;
    EXPECT_EQ(line->comm, "true");
    EXPECT_EQ(line->ppid, self);
    EXPECT_EQ(line->rest, "/bin/true");
    line = find_line(out, "EXIT", tru);
    ASSERT_TRUE(line) << out;
    EXPECT_EQ(line->rest.substr(0, 3), "[0]") << line->rest;

    // The exact header and column layout of the issue.
    EXPECT_EQ(out.substr(0, out.find('\n')),
              "TIME     EVENT COMM             PID     PPID    FILENAME/EXIT CODE");
    EXPECT_TRUE(exited(stop(*bootstrap), 0, *bootstrap));
}

TEST_P(BootstrapTest, MinDurationHidesShortProcessesAndShowsLongOnes) {
    // A 300 ms threshold: on a loaded machine even /bin/true can live for tens of ms.
    auto bootstrap = start({"-d", "300"});
    ASSERT_TRUE(bootstrap);
    auto [quick, quick_status] = run_and_wait({"/bin/true"});
    auto [slow, slow_status] = run_and_wait({"/bin/sleep", "0.6"});
    ASSERT_EQ(quick_status, 0);
    ASSERT_EQ(slow_status, 0);
    bool seen = bootstrap->wait_for_output(
        [&](const std::string& out) { return has_line(out, "EXIT", slow); }, 10s);
    ASSERT_TRUE(seen) << bootstrap->output() << bootstrap->error_output();
    const std::string out = bootstrap->output();
    const Line* line = find_line(out, "EXIT", slow);
    EXPECT_EQ(line->comm, "sleep");
    EXPECT_EQ(line->ppid, getpid());
    unsigned code = 99, ms = 0;
    ASSERT_EQ(std::sscanf(line->rest.c_str(), "[%u] (%ums)", &code, &ms), 2) << line->rest;
    EXPECT_EQ(code, 0u);
    EXPECT_GE(ms, 550u);
    EXPECT_FALSE(has_line(out, "EXIT", quick)) << out;
    for (const Line& l : parse_lines(out))
        EXPECT_NE(l.event, "EXEC") << "-d hides exec events";
    EXPECT_TRUE(exited(stop(*bootstrap), 0, *bootstrap));
}

TEST_P(BootstrapTest, SigintExitsZeroWithLastEventsAndReleasesEverything) {
    auto before = bpf_program_ids(bootstrap_programs);
    auto bootstrap = start();
    ASSERT_TRUE(bootstrap);
    auto loaded = new_programs(bootstrap_programs, before);
    ASSERT_TRUE(loaded_and_attached(loaded, 2)) << "bootstrap's two programs are not loaded";

    auto [last, last_status] = run_and_wait({"/bin/sh", "-c", "exit 7"});
    ASSERT_EQ(WEXITSTATUS(last_status), 7);
    bootstrap->signal(SIGINT); // at once: the event may still be in the ring buffer
    ASSERT_TRUE(exited(bootstrap->wait(10s), 0, *bootstrap));
    const Line* line = find_line(bootstrap->output(), "EXIT", last);
    ASSERT_TRUE(line) << "last event lost: " << bootstrap->output();
    EXPECT_EQ(line->rest.substr(0, 3), "[7]");
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_P(BootstrapTest, SigkillReleasesEverything) {
    auto before = bpf_program_ids(bootstrap_programs);
    auto bootstrap = start();
    ASSERT_TRUE(bootstrap);
    auto loaded = new_programs(bootstrap_programs, before);
    ASSERT_EQ(loaded.size(), 2u);
    ASSERT_TRUE(killed_by(stop(*bootstrap, SIGKILL), SIGKILL));
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGKILL";
}

TEST_P(BootstrapTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "-d MS"));
    EXPECT_TRUE(rejects(command({"-d", "soon"}), "invalid duration"));
}

INSTANTIATE_TEST_SUITE_P(
    Runners, BootstrapTest,
    ::testing::Values(Runner{"wasm", {wbpf_binary(), "run", WBPF_BOOTSTRAP_WASM}},
                      Runner{"native", {WBPF_BOOTSTRAP_NATIVE}}),
    [](const ::testing::TestParamInfo<Runner>& info) { return info.param.name; });

// ---- wasm only ----

class BootstrapWasmTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs into the kernel";
        ASSERT_TRUE(file_exists(wbpf_binary())) << wbpf_binary() << " is not built";
    }
};

TEST_F(BootstrapWasmTest, TrapReleasesEverything) {
    auto before = bpf_program_ids(bootstrap_programs);
    ChildProcess guest({wbpf_binary(), "run", WBPF_BOOTSTRAP_TRAP_WASM});
    ASSERT_TRUE(guest.wait_for_text("attached\n", 20s)) << guest.error_output();
    auto loaded = new_programs(bootstrap_programs, before);
    ASSERT_EQ(loaded.size(), 2u);
    guest.write_stdin("\n");
    auto status = guest.wait(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
    EXPECT_NE(guest.error_output().find("trap"), std::string::npos) << guest.error_output();
    EXPECT_TRUE(released(loaded)) << "programs or links left after a trap";
}

// Size and contents of the shipped module: no root needed.
TEST(BootstrapWasmFile, AtMost100KBWithoutDebugSections) {
    std::ifstream in(WBPF_BOOTSTRAP_WASM, std::ios::binary);
    ASSERT_TRUE(in) << WBPF_BOOTSTRAP_WASM;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::printf("bootstrap.wasm: %zu bytes\n", bytes.size());
    EXPECT_LE(bytes.size(), 100u * 1024u);
    ASSERT_GE(bytes.size(), 8u);
    ASSERT_EQ(bytes.substr(0, 4), std::string("\0asm", 4));
    size_t pos = 8;
    auto leb = [&](size_t& at) {
        uint64_t value = 0;
        for (int shift = 0; at < bytes.size() && shift < 35; shift += 7) {
            auto byte = static_cast<uint8_t>(bytes[at++]);
            value |= uint64_t{byte & 0x7fu} << shift;
            if (!(byte & 0x80)) break;
        }
        return value;
    };
    while (pos < bytes.size()) {
        auto id = static_cast<uint8_t>(bytes[pos++]);
        uint64_t size = leb(pos);
        ASSERT_LE(size, bytes.size() - pos);
        if (id == 0) {
            size_t at = pos;
            uint64_t name_size = leb(at);
            std::string name = bytes.substr(at, name_size);
            EXPECT_NE(name.rfind(".debug", 0), 0u) << "debug section " << name << " shipped";
        }
        pos += size;
    }
}

} // namespace
} // namespace wbpf::e2e
