// wbpf_spec_runner: runs the WebAssembly core spec suite (wast2json output) against wbpf.
//
//   wbpf_spec_runner [--verbose] [--include-simd] [--timeout SECONDS] SPEC_CORE_DIR [NAME...]
//
// Runs SPEC_CORE_DIR/NAME/NAME.json for each NAME given, or for every such folder (sorted).
// Prints `NAME: P passed, F failed, S skipped` per file, the failures of files that have any
// (all of them with --verbose, else the first few), and finally
// `spec: N passed, N failed, N skipped`. Exits 0 iff nothing failed and something ran.

#include "script_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using wbpf::spec::ScriptResult;

constexpr size_t failure_detail_limit = 20;

struct Arguments {
    bool verbose = false;
    bool include_simd = false;
    unsigned timeout_seconds = 60;
    fs::path spec_dir;
    std::vector<std::string> names;
};

[[noreturn]] void usage(const char* message) {
    std::fprintf(stderr,
                 "wbpf_spec_runner: %s\n"
                 "usage: wbpf_spec_runner [--verbose] [--include-simd] [--timeout SECONDS] "
                 "SPEC_CORE_DIR [NAME...]\n",
                 message);
    std::exit(2);
}

Arguments parse_arguments(int argc, char** argv) {
    Arguments arguments;
    bool have_dir = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--verbose" || arg == "-v") {
            arguments.verbose = true;
        } else if (arg == "--include-simd") {
            arguments.include_simd = true;
        } else if (arg == "--timeout") {
            if (i + 1 >= argc) usage("--timeout needs a number of seconds");
            const long seconds = std::strtol(argv[++i], nullptr, 10);
            if (seconds <= 0) usage("--timeout needs a positive number of seconds");
            arguments.timeout_seconds = static_cast<unsigned>(seconds);
        } else if (arg == "--help" || arg == "-h") {
            usage("runs the WebAssembly core spec tests");
        } else if (arg.starts_with("-")) {
            usage(("unknown option " + arg).c_str());
        } else if (!have_dir) {
            arguments.spec_dir = arg;
            have_dir = true;
        } else {
            arguments.names.push_back(arg);
        }
    }
    if (!have_dir) usage("missing SPEC_CORE_DIR");
    return arguments;
}

/// Every folder NAME of `spec_dir` holding NAME/NAME.json, sorted.
std::vector<std::string> discover(const fs::path& spec_dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(spec_dir)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && fs::is_regular_file(entry.path() / (name + ".json"))) {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

ScriptResult run_file(const Arguments& arguments, const std::string& name,
                      wbpf::spec::ExternRefs& refs, wbpf::spec::Watchdog& watchdog) {
    const fs::path directory = arguments.spec_dir / name;
    const fs::path json_path = directory / (name + ".json");
    ScriptResult result;
    try {
        std::ifstream file(json_path);
        if (!file) {
            result.failed = 1;
            result.failures.push_back({0, "file", "cannot open " + json_path.string()});
            return result;
        }
        const auto script = nlohmann::json::parse(file);
        if (name.starts_with("simd") && !arguments.include_simd) {
            result.skipped = script.at("commands").size();
            return result;
        }
        return wbpf::spec::run_script(script, directory, {arguments.verbose}, refs, watchdog);
    } catch (const std::exception& e) {
        // The script could not be read or the run could not start: count the file once.
        result.failed += 1;
        result.failures.push_back({0, "file", e.what()});
    }
    return result;
}

void print_result(const std::string& name, const ScriptResult& result, bool verbose) {
    std::printf("%s: %llu passed, %llu failed, %llu skipped\n", name.c_str(),
                static_cast<unsigned long long>(result.passed),
                static_cast<unsigned long long>(result.failed),
                static_cast<unsigned long long>(result.skipped));
    const size_t shown =
        verbose ? result.failures.size() : std::min(result.failures.size(), failure_detail_limit);
    for (size_t i = 0; i < shown; ++i) {
        const auto& failure = result.failures[i];
        std::printf("  line %lld: %s: %s\n", static_cast<long long>(failure.line),
                    failure.command.c_str(), failure.reason.c_str());
    }
    if (shown < result.failures.size()) {
        std::printf("  ... and %zu more failures (--verbose shows all)\n",
                    result.failures.size() - shown);
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    const Arguments arguments = parse_arguments(argc, argv);

    std::error_code error;
    if (!fs::is_directory(arguments.spec_dir, error)) {
        std::fprintf(stderr, "wbpf_spec_runner: error: spec directory %s does not exist\n",
                     arguments.spec_dir.c_str());
        std::printf("spec: 0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    const std::vector<std::string> names =
        arguments.names.empty() ? discover(arguments.spec_dir) : arguments.names;
    if (names.empty()) {
        std::fprintf(stderr, "wbpf_spec_runner: error: no NAME/NAME.json files in %s\n",
                     arguments.spec_dir.c_str());
        std::printf("spec: 0 passed, 1 failed, 0 skipped\n");
        return 1;
    }

    wbpf::spec::ExternRefs refs;
    wbpf::spec::Watchdog watchdog(std::chrono::seconds(arguments.timeout_seconds));
    ScriptResult total;
    for (const std::string& name : names) {
        if (arguments.verbose) {
            std::printf("== %s\n", name.c_str());
            std::fflush(stdout);
        }
        const ScriptResult result = run_file(arguments, name, refs, watchdog);
        print_result(name, result, arguments.verbose);
        total.passed += result.passed;
        total.failed += result.failed;
        total.skipped += result.skipped;
    }
    std::printf("spec: %llu passed, %llu failed, %llu skipped\n",
                static_cast<unsigned long long>(total.passed),
                static_cast<unsigned long long>(total.failed),
                static_cast<unsigned long long>(total.skipped));
    return total.failed == 0 && total.passed > 0 ? 0 : 1;
}
