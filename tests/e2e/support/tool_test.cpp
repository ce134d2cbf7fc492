#include "tool_test.hpp"

#include <cstdlib>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {

std::string wbpf_binary() {
    const char* override_path = std::getenv("WBPF_E2E_WBPF");
    return override_path && *override_path ? override_path : WBPF_E2E_DEFAULT_WBPF;
}

bool file_exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::set<uint32_t> new_programs(const std::set<std::string>& names,
                                const std::set<uint32_t>& before) {
    std::set<uint32_t> result;
    for (uint32_t id : bpf_program_ids(names))
        if (!before.count(id)) result.insert(id);
    return result;
}

bool released(const std::set<uint32_t>& programs) {
    for (int i = 0; i < 100; ++i) {
        std::set<uint32_t> left;
        for (uint32_t id : bpf_program_ids())
            if (programs.count(id)) left.insert(id);
        if (left.empty() && bpf_link_ids_for(programs).empty()) return true;
        std::this_thread::sleep_for(30ms);
    }
    return false;
}

::testing::AssertionResult loaded_and_attached(const std::set<uint32_t>& loaded, size_t count) {
    if (loaded.size() != count)
        return ::testing::AssertionFailure()
               << loaded.size() << " of the tool's " << count << " programs are loaded";
    size_t links = bpf_link_ids_for(loaded).size();
    if (links != count)
        return ::testing::AssertionFailure()
               << links << " links for the tool's " << count << " programs";
    return ::testing::AssertionSuccess();
}

std::optional<int> stop(ChildProcess& child, int signo) {
    child.signal(signo);
    return child.wait(10s);
}

::testing::AssertionResult exited(const std::optional<int>& status, int code, ChildProcess& child) {
    if (!status) return ::testing::AssertionFailure() << "still running after 10 s";
    bool ok = WIFEXITED(*status) &&
              (code == any_failure ? WEXITSTATUS(*status) != 0 : WEXITSTATUS(*status) == code);
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "status " << *status << " (wanted exit "
           << (code == any_failure ? std::string("!= 0") : std::to_string(code))
           << "); stderr: " << child.error_output();
}

::testing::AssertionResult killed_by(const std::optional<int>& status, int signo) {
    if (!status) return ::testing::AssertionFailure() << "still running after 10 s";
    if (WIFSIGNALED(*status) && WTERMSIG(*status) == signo) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "status " << *status << ", not signal " << signo;
}

::testing::AssertionResult prints_help(const std::vector<std::string>& argv,
                                       const std::string& text) {
    ChildProcess child(argv);
    auto result = exited(child.wait(20s), 0, child);
    if (!result) return result;
    if (child.output().find(text) == std::string::npos)
        return ::testing::AssertionFailure() << "no '" << text << "' in: " << child.output();
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult rejects(const std::vector<std::string>& argv, const std::string& message,
                                   int code) {
    ChildProcess child(argv);
    auto result = exited(child.wait(20s), code, child);
    if (!result) return result;
    if (child.error_output().find(message) == std::string::npos)
        return ::testing::AssertionFailure()
               << "no '" << message << "' on stderr: " << child.error_output();
    return ::testing::AssertionSuccess();
}

void ToolTest::SetUp() {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs into the kernel";
    for (const std::string& path : {wbpf_binary(), tool_.wasm})
        ASSERT_TRUE(file_exists(path)) << path << " is not built";
}

std::vector<std::string> ToolTest::command(const std::vector<std::string>& options) const {
    std::vector<std::string> argv = {wbpf_binary(), "run"};
    argv.insert(argv.end(), tool_.run_options.begin(), tool_.run_options.end());
    argv.push_back(tool_.wasm);
    argv.insert(argv.end(), options.begin(), options.end());
    return argv;
}

::testing::AssertionResult ToolTest::sigkill_releases(ChildProcess& tool,
                                                      const std::set<uint32_t>& before,
                                                      size_t count) const {
    auto loaded = loaded_since(before);
    if (loaded.size() != count)
        return ::testing::AssertionFailure()
               << loaded.size() << " of the tool's " << count << " programs are loaded";
    auto killed = killed_by(stop(tool, SIGKILL), SIGKILL);
    if (!killed) return killed;
    if (!released(loaded))
        return ::testing::AssertionFailure() << "programs or links left after SIGKILL";
    return ::testing::AssertionSuccess();
}

std::unique_ptr<ChildProcess> ToolTest::start_argv(const std::vector<std::string>& argv) const {
    auto child = std::make_unique<ChildProcess>(argv);
    bool ready = child->wait_for_text(tool_.ready, 20s);
    EXPECT_TRUE(ready) << "not ready (no '" << tool_.ready << "'); stdout: " << child->output()
                       << "; stderr: " << child->error_output();
    return ready ? std::move(child) : nullptr;
}

void NetworkToolTest::SetUp() {
    std::string reason = netns_unavailable_reason();
    if (!reason.empty()) GTEST_SKIP() << reason;
    ToolTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    lab_ = std::make_unique<NetworkLab>(lab_name_);
}

std::unique_ptr<ChildProcess>
NetworkToolTest::start(const std::vector<std::string>& options) const {
    std::vector<std::string> all = {"-i", lab_->receiver_end().interface};
    all.insert(all.end(), options.begin(), options.end());
    return start_in(lab_->receiver, all);
}

} // namespace wbpf::e2e
