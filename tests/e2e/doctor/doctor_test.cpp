// `wbpf doctor` against the real kernel, checked against what `wbpf run` actually manages: for
// kprobes, fentry/fexit and BPF LSM, doctor must call the feature unavailable exactly when a
// guest object needing it fails, and then `wbpf run` must say so in one line naming the
// feature. (On the project's test machine all three are unavailable.)
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

struct Finished {
    int status = -1; ///< exit status, or -1 if it did not exit normally in time
    std::string out, err;
};

Finished run(const std::vector<std::string>& argv) {
    ChildProcess child(argv);
    auto status = child.wait(60s);
    Finished result;
    if (status && WIFEXITED(*status)) result.status = WEXITSTATUS(*status);
    result.out = child.output();
    result.err = child.error_output();
    return result;
}

/// The status doctor prints for the attach feature `name`: "ok", "unavailable", or "" if the
/// row is missing. Rows look like "  STATUS       NAME           detail".
std::string doctor_status(const std::string& report, const std::string& name) {
    std::istringstream in(report);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string status, row_name;
        if (!(fields >> status)) continue;
        std::getline(fields >> std::ws, row_name);
        if (row_name.rfind(name + " ", 0) == 0) return status;
    }
    return "";
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) lines.push_back(line);
    return lines;
}

struct Feature {
    const char* guest_arg;  ///< feature_guest.wasm argument
    const char* doctor_row; ///< doctor's row name
    const char* program;    ///< the program in the guest's object
    const char* message;    ///< `wbpf run`'s line when the kernel lacks it
};

const Feature features[] = {
    {"kprobe", "kprobes", "wbpf_test_kprobe",
     "wbpf: cannot attach program 'wbpf_test_kprobe': kprobes are not available in this kernel"},
    {"fentry", "fentry/fexit", "wbpf_test_fentry",
     "wbpf: cannot load program 'wbpf_test_fentry': fentry programs are not available in this "
     "kernel"},
    {"lsm", "LSM", "wbpf_test_lsm",
     "wbpf: cannot load program 'wbpf_test_lsm': BPF LSM programs are not available in this "
     "kernel"},
};

class DoctorTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to probe and load BPF programs";
    }
};

TEST_F(DoctorTest, ReportsEssentialsAndNamesWhatIsMissing) {
    Finished doctor = run({wbpf_binary(), "doctor"});
    ASSERT_EQ(doctor.status, 0) << doctor.out << doctor.err;
    EXPECT_EQ(doctor.err, "");
    for (const char* row : {"privileges", "bpf() syscall", "BTF", "tracefs", "memlock"})
        EXPECT_NE(doctor_status(doctor.out, row), "") << "no row " << row << ":\n" << doctor.out;
    EXPECT_EQ(doctor_status(doctor.out, "privileges"), "ok") << doctor.out;
    EXPECT_EQ(doctor_status(doctor.out, "bpf() syscall"), "ok") << doctor.out;
    EXPECT_NE(doctor.out.find("program types ("), std::string::npos) << doctor.out;
    EXPECT_NE(doctor.out.find("map types ("), std::string::npos) << doctor.out;
    EXPECT_NE(doctor.out.find("socket_filter"), std::string::npos) << doctor.out;
    EXPECT_NE(doctor.out.find("hash"), std::string::npos) << doctor.out;

    // Every unavailable attach feature is named again in the summary.
    std::smatch summary;
    ASSERT_TRUE(std::regex_search(doctor.out, summary, std::regex("\nsummary: ([^\n]*)\n")))
        << doctor.out;
    for (const Feature& feature : features) {
        std::string status = doctor_status(doctor.out, feature.doctor_row);
        ASSERT_TRUE(status == "ok" || status == "unavailable")
            << feature.doctor_row << ": '" << status << "'\n"
            << doctor.out;
        if (status == "unavailable") {
            EXPECT_NE(summary[1].str().find(feature.doctor_row), std::string::npos)
                << summary[1].str();
        }
    }
}

TEST_F(DoctorTest, RunSaysInOneLineWhichFeatureIsMissing) {
    Finished doctor = run({wbpf_binary(), "doctor"});
    ASSERT_EQ(doctor.status, 0) << doctor.out << doctor.err;
    std::set<uint32_t> before = bpf_program_ids();
    for (const Feature& feature : features) {
        SCOPED_TRACE(feature.guest_arg);
        bool missing = doctor_status(doctor.out, feature.doctor_row) == "unavailable";
        Finished guest = run({wbpf_binary(), "run", WBPF_FEATURE_GUEST, feature.guest_arg});
        ASSERT_EQ(guest.status, 0) << guest.out << guest.err;
        if (!missing) {
            // Doctor said it works: then it loads and attaches.
            EXPECT_EQ(guest.err, "");
            EXPECT_NE(guest.out.find(std::string("attach ") + feature.guest_arg + ": 0"),
                      std::string::npos)
                << guest.out;
            continue;
        }
        // Exactly one line on stderr, naming the feature; the guest sees a plain failure.
        EXPECT_EQ(lines_of(guest.err), std::vector<std::string>{feature.message}) << guest.err;
        std::string failure = std::string(feature.guest_arg) == "kprobe"
                                  ? "attach kprobe: -95" // EOPNOTSUPP
                                  : std::string("load ") + feature.guest_arg + ": handle 0";
        EXPECT_NE(guest.out.find(failure), std::string::npos) << guest.out;
    }
    // Nothing stays loaded (the kernel frees programs asynchronously).
    std::set<uint32_t> left;
    for (int i = 0; i < 100; ++i) {
        left.clear();
        for (uint32_t id : bpf_program_ids({"wbpf_test_kprob", "wbpf_test_fentr", "wbpf_test_lsm"}))
            if (!before.count(id)) left.insert(id);
        if (left.empty()) break;
        std::this_thread::sleep_for(30ms);
    }
    EXPECT_TRUE(left.empty());
}

TEST_F(DoctorTest, NamesKprobesFentryAndLsmWhenTheKernelLacksThem) {
    // The acceptance check of the issue, for kernels like the test machine's: no kprobe PMU and
    // no kprobe_events. Elsewhere the consistency test above covers doctor.
    if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
        GTEST_SKIP() << "this kernel has kprobes";
    Finished doctor = run({wbpf_binary(), "doctor"});
    ASSERT_EQ(doctor.status, 0) << doctor.out << doctor.err;
    EXPECT_EQ(doctor_status(doctor.out, "kprobes"), "unavailable") << doctor.out;
    std::smatch summary;
    ASSERT_TRUE(std::regex_search(doctor.out, summary, std::regex("\nsummary: ([^\n]*)\n")));
    EXPECT_NE(summary[1].str().find("kprobes"), std::string::npos) << summary[1].str();
}

} // namespace
} // namespace wbpf::e2e
