// The guest SDK's buffer priming against the real kernel: records that reach a ring buffer
// before bpf_buffer__open (here: execs by a user id nothing else uses) are all delivered by the
// following polls, the one the priming poll took first, and none inside bpf_buffer__open.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

constexpr uid_t test_uid = 54329;

class BufferPrimingTest : public ToolTest {
protected:
    BufferPrimingTest() : ToolTest({WBPF_PRIMING_WASM, "attached\n", {"execsnoop_exec"}}) {}
};

TEST_F(BufferPrimingTest, RecordsSentBeforeOpenAreDeliveredByThePollsNotByOpen) {
    auto guest = start({std::to_string(test_uid)});
    ASSERT_TRUE(guest);
    std::vector<pid_t> pids;
    for (int i = 0; i < 3; ++i) {
        auto [pid, status] = run_and_wait({"/bin/true"}, test_uid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        pids.push_back(pid);
    }
    guest->write_stdin("\n");
    ASSERT_TRUE(exited(guest->wait(20s), 0, *guest));

    std::string expected = "attached\nin open: 0\n";
    for (pid_t pid : pids)
        expected += "pid " + std::to_string(pid) + "\n";
    // The first poll delivers the record the priming poll kept and the two left in the ring.
    expected += "first poll: 3, last poll: 0, records: 3\n";
    EXPECT_EQ(guest->output(), expected) << guest->error_output();
}

} // namespace
} // namespace wbpf::e2e
