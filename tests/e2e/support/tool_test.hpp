// The common fixture of the end-to-end suites: a tool (NAME.wasm under `wbpf run`) started and
// awaited until it says it is tracing, its BPF programs found before and after, and checks of
// how a run ended (exit code, signal, one-line errors, help).
#pragma once

#include "bpf_listing.hpp"
#include "child_process.hpp"
#include "netns.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace wbpf::e2e {

using namespace std::chrono_literals;

/// The runtime under test: build/wbpf, or $WBPF_E2E_WBPF when set (e.g. an installed copy).
std::string wbpf_binary();

bool file_exists(const std::string& path);

/// Ids of loaded programs named in `names` that are not in `before`.
std::set<uint32_t> new_programs(const std::set<std::string>& names,
                                const std::set<uint32_t>& before);

/// Waits (up to 3 s) until none of `programs` nor a link to them is left in the kernel, which
/// frees programs asynchronously after the last reference goes. Whether that happened.
bool released(const std::set<uint32_t>& programs);

/// Success when exactly `count` programs are in `loaded` and each has a link.
::testing::AssertionResult loaded_and_attached(const std::set<uint32_t>& loaded, size_t count);

/// Sends `signo` and waits up to 10 s for the exit: the wait status, or nullopt if the child
/// still runs.
std::optional<int> stop(ChildProcess& child, int signo = SIGINT);

/// Success when `status` is a normal exit with `code` (any non-zero code for code < 0); the
/// failure message has the status (or that the child still runs) and the child's stderr.
::testing::AssertionResult exited(const std::optional<int>& status, int code, ChildProcess& child);
constexpr int any_failure = -1;

/// Success when `status` says the child was ended by `signo`.
::testing::AssertionResult killed_by(const std::optional<int>& status, int signo);

/// Runs `argv` to its end (20 s): success when it exits 0 with `text` on stdout.
::testing::AssertionResult prints_help(const std::vector<std::string>& argv,
                                       const std::string& text);

/// Runs `argv` to its end (20 s): success when it exits with `code` (any_failure: non-zero)
/// with `message` on stderr.
::testing::AssertionResult rejects(const std::vector<std::string>& argv, const std::string& message,
                                   int code = any_failure);

/// What a suite knows of its tool.
struct Tool {
    std::string wasm;                          ///< the tool's .wasm
    std::string ready;                         ///< what it prints once tracing (header or banner)
    std::set<std::string> programs;            ///< its BPF programs' names
    std::vector<std::string> run_options = {}; ///< `wbpf run` options before the .wasm
};

/// Fixture for one tool: skips without root, fails when wbpf or the tool is not built.
class ToolTest : public ::testing::Test {
protected:
    explicit ToolTest(Tool tool) : tool_(std::move(tool)) {}

    void SetUp() override;

    /// `wbpf run RUN_OPTIONS... WASM options...`
    std::vector<std::string> command(const std::vector<std::string>& options = {}) const;

    /// Starts `argv` and waits (20 s) until the tool is ready; nullptr after a failed
    /// expectation (with its stdout and stderr) if it is not.
    std::unique_ptr<ChildProcess> start_argv(const std::vector<std::string>& argv) const;
    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& options = {}) const {
        return start_argv(command(options));
    }

    /// Ids of the tool's programs loaded now, and those loaded since `before`.
    std::set<uint32_t> programs() const { return bpf_program_ids(tool_.programs); }
    std::set<uint32_t> loaded_since(const std::set<uint32_t>& before) const {
        return new_programs(tool_.programs, before);
    }

    /// SIGKILLs `tool`, started after `before` was taken: success when it had loaded `count`
    /// programs, the signal ended it, and its programs and their links are gone afterwards.
    ::testing::AssertionResult
    sigkill_releases(ChildProcess& tool, const std::set<uint32_t>& before, size_t count) const;

    Tool tool_;
};

/// Fixture for a tool run in a NetworkLab (two namespaces over a veth pair): skips where
/// namespaces cannot be made.
class NetworkToolTest : public ToolTest {
protected:
    NetworkToolTest(Tool tool, std::string lab_name)
        : ToolTest(std::move(tool)), lab_name_(std::move(lab_name)) {}

    void SetUp() override;

    /// Starts the tool with `options` inside `ns` and waits until it is ready.
    std::unique_ptr<ChildProcess> start_in(const NetNamespace& ns,
                                           const std::vector<std::string>& options) const {
        return start_argv(ns.exec_argv(command(options)));
    }
    /// Starts it in the receiver namespace on the receiver's veth end: `-i IFACE options...`.
    std::unique_ptr<ChildProcess> start(const std::vector<std::string>& options = {}) const;

    std::string lab_name_;
    std::unique_ptr<NetworkLab> lab_;
};

} // namespace wbpf::e2e
