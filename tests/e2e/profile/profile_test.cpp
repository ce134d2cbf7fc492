// profile end to end against the real kernel: build/examples/profile.wasm under `wbpf run`
// samples busy_target (spinning in wbpf_test_busy_loop) and must find that function in its
// stacks, folded and multi-line, ending on -d or on Ctrl-C with everything detached.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> profile_programs = {"do_sample"};
constexpr const char* busy_function = "wbpf_test_busy_loop";

/// Folded lines "comm;frame;...;frame count" whose frames include `function`; their counts.
unsigned long long folded_count(const std::string& output, const std::string& function) {
    unsigned long long total = 0;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        size_t space = line.rfind(' ');
        if (space == std::string::npos) continue;
        std::string stack = line.substr(0, space) + ";";
        if (stack.find(";" + function + ";") == std::string::npos) continue;
        total += std::strtoull(line.c_str() + space + 1, nullptr, 10);
    }
    return total;
}

class ProfileTest : public ToolTest {
protected:
    // Folded output prints nothing before the stacks: wait_attached() tells when it samples.
    // After Ctrl-C profile symbolizes in the guest (kallsyms, ELF files): the grace period is
    // raised because a sanitizer build does that work many times slower than 1 s allows.
    ProfileTest()
        : ToolTest({WBPF_PROFILE_WASM,
                    "",
                    profile_programs,
                    {"--grace-period", "30000", "--ro-dir", "/proc", "--ro-dir", "/"}}) {}

    void SetUp() override {
        ToolTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_TRUE(file_exists(WBPF_BUSY_TARGET)) << WBPF_BUSY_TARGET << " is not built";
        busy_ = std::make_unique<ChildProcess>(std::vector<std::string>{WBPF_BUSY_TARGET});
        ASSERT_TRUE(busy_->wait_for_text("ready", 10s)) << busy_->error_output();
        before_ = programs();
    }

    void TearDown() override {
        if (!busy_) return;
        busy_->signal(SIGKILL);
        busy_->wait(10s);
    }

    std::unique_ptr<ChildProcess> start_profile(const std::vector<std::string>& options) {
        return std::make_unique<ChildProcess>(command(options));
    }

    /// Waits for the program to be attached (a link to do_sample exists).
    bool wait_attached() {
        for (int i = 0; i < 600; ++i) {
            std::set<uint32_t> ours = loaded_since(before_);
            if (!ours.empty() && !bpf_link_ids_for(ours).empty()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    std::string pid() const { return std::to_string(busy_->pid()); }

    std::unique_ptr<ChildProcess> busy_;
    std::set<uint32_t> before_;
};

TEST_F(ProfileTest, FoldedStacksNameTheBusyFunctionAfterCtrlC) {
    auto profile = start_profile({"-f", "-F", "99", "-p", pid()});
    ASSERT_TRUE(wait_attached()) << profile->error_output();
    std::this_thread::sleep_for(3s); // ~300 samples of a process that never sleeps
    profile->signal(SIGINT);
    ASSERT_TRUE(exited(profile->wait(120s), 0, *profile)) << "after SIGINT";

    const std::string& out = profile->output();
    EXPECT_GT(folded_count(out, busy_function), 0u) << out << profile->error_output();
    // Symbolized through the binary's ELF symbols and load offset: the caller shows too.
    EXPECT_NE(out.find(std::string(";main;") + busy_function + " "), std::string::npos) << out;
    // -p: only busy_target's samples, all under its comm.
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line))
        EXPECT_EQ(line.rfind("busy_target;", 0), 0u) << line;
    EXPECT_NE(profile->error_output().find("samples in"), std::string::npos)
        << profile->error_output();
    EXPECT_TRUE(released(loaded_since(before_))) << "do_sample still loaded after exit";
}

TEST_F(ProfileTest, DurationEndsItWithMultiLineStacks) {
    auto profile = start_profile({"-d", "3", "-p", pid()});
    ASSERT_TRUE(exited(profile->wait(120s), 0, *profile)) << "profile -d 3";
    const std::string& out = profile->output();
    EXPECT_NE(out.find("Sampling at 49 Hertz"), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("    ") + busy_function + "\n    main\n"), std::string::npos)
        << out << profile->error_output();
    EXPECT_NE(out.find("busy_target (" + pid() + ")"), std::string::npos) << out;
    EXPECT_TRUE(released(loaded_since(before_))) << "do_sample still loaded after exit";
}

TEST_F(ProfileTest, RejectsBadOptionsInOneLine) {
    auto profile = start_profile({"-F", "0"});
    ASSERT_TRUE(exited(profile->wait(30s), 1, *profile));
    EXPECT_EQ(profile->error_output().rfind("profile: invalid frequency '0'", 0), 0u)
        << profile->error_output();
}

} // namespace
} // namespace wbpf::e2e
