// Runs one wast2json script (NAME/NAME.json) against the wbpf engine.
#pragma once

#include "extern_refs.hpp"
#include "watchdog.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wbpf::spec {

struct ScriptOptions {
    bool verbose = false; ///< spectest print functions print their arguments
};

struct ScriptFailure {
    int64_t line = 0;
    std::string command; ///< the command type, e.g. "assert_return"
    std::string reason;
};

struct ScriptResult {
    uint64_t passed = 0;
    uint64_t failed = 0;
    uint64_t skipped = 0;
    std::vector<ScriptFailure> failures; ///< one per failed command, in script order
};

/// Executes every command of `script` (wast2json format, see shared/spec/README.md) in a fresh
/// Store; module files are read from `directory`. Every command counts as passed, failed or
/// skipped (text-format modules); an exception in one command fails that command only.
ScriptResult run_script(const nlohmann::json& script, const std::filesystem::path& directory,
                        const ScriptOptions& options, ExternRefs& refs, Watchdog& watchdog);

} // namespace wbpf::spec
