// runqlat end to end against the real kernel: build/examples/runqlat.wasm under `wbpf run`
// counts run-queue latency for busy processes this test pins to one CPU, clears its histograms
// every interval, and prints the last one on SIGINT.
#include "tool_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <regex>
#include <sched.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace wbpf::e2e {
namespace {

const std::set<std::string> btf_programs = {"rq_btf_wakeup", "rq_btf_wake_new", "rq_btf_switch"};
const std::set<std::string> raw_programs = {"rq_raw_wakeup", "rq_raw_wake_new", "rq_raw_switch"};

/// Processes spinning on CPU 0 only, so they wait for each other on its run queue.
class BusyProcesses {
public:
    explicit BusyProcesses(int count) {
        for (int i = 0; i < count; ++i) {
            pid_t pid = fork();
            if (pid < 0) throw std::runtime_error("fork failed");
            if (pid == 0) {
                cpu_set_t cpus;
                CPU_ZERO(&cpus);
                CPU_SET(0, &cpus);
                sched_setaffinity(0, sizeof(cpus), &cpus);
                volatile unsigned long spins = 0;
                for (;;)
                    spins = spins + 1;
            }
            pids_.push_back(pid);
        }
    }
    ~BusyProcesses() { stop(); }
    void stop() {
        for (pid_t pid : pids_) {
            kill(pid, SIGKILL);
            while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        pids_.clear();
    }
    const std::vector<pid_t>& pids() const { return pids_; }

private:
    std::vector<pid_t> pids_;
};

/// One print: histogram totals by process id (key -1 when not per process), and the unit.
struct Print {
    std::map<long, unsigned long> totals;
    std::string unit;
};

/// Splits output into prints: with -T each starts with an HH:MM:SS line; without, there is one.
std::vector<Print> parse_prints(const std::string& output, bool timestamps) {
    static const std::regex time_line(R"(\d\d:\d\d:\d\d)");
    static const std::regex row(R"(^\s*\d+ -> \S+\s+: (\d+)\s+\|)");
    static const std::regex pid_line(R"(^pid = (\d+) )");
    static const std::regex header(R"(^\s+(usecs|msecs)\s+: count\s+distribution$)");
    std::vector<Print> prints;
    if (!timestamps) prints.emplace_back();
    long key = -1;
    // Complete lines only: the output may have been read in the middle of one.
    std::istringstream in(output.substr(0, output.rfind('\n') + 1));
    std::smatch m;
    for (std::string text; std::getline(in, text);) {
        if (std::regex_match(text, time_line)) {
            prints.emplace_back();
            key = -1;
        } else if (prints.empty()) {
            continue;
        } else if (std::regex_search(text, m, pid_line)) {
            key = std::stol(m[1]);
        } else if (std::regex_search(text, m, header)) {
            prints.back().unit = m[1];
            prints.back().totals[key] += 0;
        } else if (std::regex_search(text, m, row)) {
            prints.back().totals[key] += std::stoul(m[1]);
        }
    }
    return prints;
}

class RunqlatTest : public ToolTest {
protected:
    RunqlatTest() : ToolTest({WBPF_RUNQLAT_WASM, "Hit Ctrl-C to end.\n", btf_programs}) {}
};

TEST_F(RunqlatTest, PerProcessCountsUnderContentionAndClearedEveryInterval) {
    auto before = programs();
    auto runqlat = start({"-P", "-T", "1"});
    ASSERT_TRUE(runqlat);
    auto loaded = loaded_since(before);
    ASSERT_TRUE(loaded_and_attached(loaded, 3)) << "the three tp_btf programs are not loaded";

    BusyProcesses busy(3);
    // Two whole intervals in which every busy process waited on the run queue.
    size_t contended = 0, first_after_start = 0;
    auto counted_all = [&](const Print& print) {
        for (pid_t pid : busy.pids())
            if (!print.totals.count(pid) || print.totals.at(pid) == 0) return false;
        return true;
    };
    ASSERT_TRUE(runqlat->wait_for_output(
        [&](const std::string& out) {
            auto prints = parse_prints(out, true);
            if (first_after_start == 0) first_after_start = prints.size() + 1;
            contended = 0;
            for (size_t i = first_after_start; i < prints.size(); ++i)
                if (counted_all(prints[i])) ++contended;
            return contended >= 2;
        },
        30s))
        << runqlat->output() << runqlat->error_output();
    for (const Print& print : parse_prints(runqlat->output(), true)) {
        if (!print.totals.empty()) {
            EXPECT_EQ(print.unit, "usecs");
        }
    }

    // Once they are gone, a whole interval later their histograms are gone too (cleared).
    // Three prints later: one may have been made before the stop and not read yet, and the
    // next one then covers time before the stop.
    std::vector<pid_t> pids = busy.pids();
    busy.stop();
    size_t stopped_at = parse_prints(runqlat->output(), true).size();
    ASSERT_TRUE(runqlat->wait_for_output(
        [&](const std::string& out) { return parse_prints(out, true).size() >= stopped_at + 3; },
        30s))
        << runqlat->output();
    Print after = parse_prints(runqlat->output(), true).back();
    for (pid_t pid : pids)
        EXPECT_EQ(after.totals.count(pid), 0u) << "pid " << pid << " not cleared:\n"
                                               << runqlat->output();

    size_t prints_before_sigint = parse_prints(runqlat->output(), true).size();
    runqlat->signal(SIGINT);
    ASSERT_TRUE(exited(runqlat->wait(10s), 0, *runqlat));
    // At least one more print (an interval's print may have crossed the signal).
    EXPECT_GE(parse_prints(runqlat->output(), true).size(), prints_before_sigint + 1)
        << "no final print after SIGINT:\n"
        << runqlat->output();
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(RunqlatTest, PidFilterMillisecondsAndCount) {
    BusyProcesses busy(3);
    pid_t traced = busy.pids().front();
    auto runqlat = start({"-m", "-p", std::to_string(traced), "1", "2"});
    ASSERT_TRUE(runqlat);
    auto status = runqlat->wait(30s); // count 2: it ends by itself after two prints
    ASSERT_TRUE(status) << runqlat->output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << runqlat->error_output();
    // Without -T the prints are not delimited: all rows add up in one.
    auto prints = parse_prints(runqlat->output(), false);
    ASSERT_EQ(prints.size(), 1u);
    EXPECT_EQ(prints[0].unit, "msecs") << runqlat->output();
    ASSERT_EQ(prints[0].totals.size(), 1u) << "one histogram for all (-p without -P)";
    EXPECT_GT(prints[0].totals.begin()->second, 0u) << runqlat->output();
    EXPECT_EQ(runqlat->output().find("pid = "), std::string::npos);
}

TEST_F(RunqlatTest, RawTracepointsCountToo) {
    auto before = bpf_program_ids(raw_programs);
    auto runqlat = start({"-R", "-P"});
    ASSERT_TRUE(runqlat);
    auto loaded = new_programs(raw_programs, before);
    ASSERT_TRUE(loaded_and_attached(loaded, 3)) << "the three raw_tp programs are not loaded";
    {
        BusyProcesses busy(3);
        std::vector<pid_t> pids = busy.pids();
        std::this_thread::sleep_for(1s);
        busy.stop();
        runqlat->signal(SIGINT); // no interval: SIGINT prints the only histogram
        ASSERT_TRUE(exited(runqlat->wait(10s), 0, *runqlat));
        auto prints = parse_prints(runqlat->output(), false);
        ASSERT_EQ(prints.size(), 1u);
        for (pid_t pid : pids)
            EXPECT_GT(prints[0].totals[pid], 0u) << pid << "\n" << runqlat->output();
    }
    EXPECT_TRUE(released(loaded)) << "programs or links left after SIGINT";
}

TEST_F(RunqlatTest, HelpAndBadOptions) {
    EXPECT_TRUE(prints_help(command({"-h"}), "[interval] [count]"));

    EXPECT_TRUE(rejects(command({"0"}), "invalid interval '0'"));
}

} // namespace
} // namespace wbpf::e2e
