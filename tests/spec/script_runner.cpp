#include "script_runner.hpp"

#include "spec_value.hpp"
#include "spectest_module.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <memory>

namespace wbpf::spec {

namespace {

using nlohmann::json;

/// The limits spec scripts are run under: the spec's own maxima for memories, and bounds on
/// everything else that no script comes near, so a runaway module stops rather than
/// exhausting the machine. Call depth is what assert_exhaustion exercises.
wasm::StoreOptions spec_store_options() {
    wasm::StoreOptions options;
    options.max_call_depth = 20000;
    options.value_stack_slots = 4u << 20;
    options.max_host_nesting = 100;
    options.max_memory_pages = wasm::max_pages;
    options.max_table_elements = 10'000'000;
    return options;
}

/// How a command that did not fail ended; failures are thrown (CommandFailure).
enum class Outcome { passed, skipped };

struct ActionResult {
    wasm::TrapKind trap = wasm::TrapKind::none;
    std::vector<wasm::ValType> types;
    std::vector<wasm::Value> values;
};

class ScriptRunner {
public:
    ScriptRunner(const std::filesystem::path& directory, const ScriptOptions& options,
                 ExternRefs& refs, Watchdog& watchdog)
        : directory_(directory), options_(options), refs_(refs), watchdog_(watchdog),
          store_(spec_store_options()) {
        add_spectest_module(store_, imports_, options.verbose);
    }

    /// Runs one command; throws CommandFailure (or anything else) when it fails.
    Outcome run(const json& command) {
        const std::string type = command.at("type").get<std::string>();
        if (command.value("module_type", "binary") == "text") return Outcome::skipped;
        WatchdogScope timing(watchdog_, store_);

        if (type == "module") return run_module(command);
        if (type == "register") return run_register(command);
        if (type == "action") {
            const ActionResult result = perform(command.at("action"));
            if (result.trap != wasm::TrapKind::none) throw CommandFailure(trapped(result.trap));
            return Outcome::passed;
        }
        if (type == "assert_return") return run_assert_return(command);
        if (type == "assert_trap") return run_assert_trap(command);
        if (type == "assert_exhaustion") return run_assert_exhaustion(command);
        if (type == "assert_invalid" || type == "assert_malformed") {
            return run_assert_rejected(command);
        }
        if (type == "assert_unlinkable") return run_assert_unlinkable(command);
        if (type == "assert_uninstantiable") return run_assert_uninstantiable(command);
        throw CommandFailure("unknown command type " + type);
    }

private:
    std::shared_ptr<const wasm::Module> parse(const json& command) {
        const auto path = directory_ / command.at("filename").get<std::string>();
        std::ifstream file(path, std::ios::binary);
        if (!file) throw CommandFailure("cannot open " + path.string());
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                         std::istreambuf_iterator<char>());
        return wasm::parse_module(bytes);
    }

    /// Parses a module that must be valid; any load error fails the command.
    std::shared_ptr<const wasm::Module> parse_valid(const json& command) {
        try {
            return parse(command);
        } catch (const wasm::UnsupportedError& e) {
            throw CommandFailure(std::string("unsupported: ") + e.what());
        } catch (const wasm::Error& e) {
            throw CommandFailure(std::string("module rejected: ") + e.what());
        }
    }

    Outcome run_module(const json& command) {
        // A module that fails leaves no current module, so the script's later commands fail
        // instead of silently running against an older module.
        current_ = nullptr;
        auto module = parse_valid(command);
        wasm::Instance* instance = nullptr;
        try {
            instance = &store_.instantiate(std::move(module), imports_);
        } catch (const wasm::Error& e) {
            throw CommandFailure(std::string("instantiation failed: ") + e.what());
        }
        current_ = instance;
        if (command.contains("name")) named_[command["name"].get<std::string>()] = instance;
        return Outcome::passed;
    }

    Outcome run_register(const json& command) {
        wasm::Instance& instance = find_instance(command, "name");
        imports_.add_exports(command.at("as").get<std::string>(), instance);
        return Outcome::passed;
    }

    Outcome run_assert_return(const json& command) {
        const ActionResult result = perform(command.at("action"));
        if (result.trap != wasm::TrapKind::none) throw CommandFailure(trapped(result.trap));
        const json& expected = command.at("expected");
        if (expected.size() != result.values.size()) {
            throw CommandFailure("expected " + std::to_string(expected.size()) + " results, got " +
                                 std::to_string(result.values.size()));
        }
        for (size_t i = 0; i < result.values.size(); ++i) {
            if (auto why = mismatch(expected[i], result.types[i], result.values[i], refs_)) {
                throw CommandFailure("result " + std::to_string(i) + ": " + *why);
            }
        }
        return Outcome::passed;
    }

    Outcome run_assert_trap(const json& command) {
        const std::string text = command.at("text").get<std::string>();
        if (!command.contains("action")) {
            expect_instantiation_trap(command);
            return Outcome::passed;
        }
        const ActionResult result = perform(command["action"]);
        if (result.trap == wasm::TrapKind::none) {
            throw CommandFailure("returned normally, expected trap \"" + text + "\"");
        }
        // The script's message may carry detail after the spec's text ("... element 2").
        const std::string_view message = wasm::trap_message(result.trap);
        if (message.empty() || !std::string_view(text).starts_with(message)) {
            throw CommandFailure("trapped with \"" + std::string(message) + "\", expected \"" +
                                 text + "\"");
        }
        return Outcome::passed;
    }

    Outcome run_assert_exhaustion(const json& command) {
        const ActionResult result = perform(command.at("action"));
        if (result.trap != wasm::TrapKind::call_stack_exhausted) {
            throw CommandFailure(result.trap == wasm::TrapKind::none
                                     ? std::string("returned normally, expected exhaustion")
                                     : trapped(result.trap) + ", expected exhaustion");
        }
        return Outcome::passed;
    }

    /// assert_invalid / assert_malformed: loading must fail with a wasm::Error.
    Outcome run_assert_rejected(const json& command) {
        try {
            parse(command);
        } catch (const wasm::UnsupportedError& e) {
            throw CommandFailure(std::string("unsupported: ") + e.what());
        } catch (const wasm::Error&) {
            return Outcome::passed;
        }
        throw CommandFailure("module was accepted, expected \"" +
                             command.at("text").get<std::string>() + "\"");
    }

    Outcome run_assert_unlinkable(const json& command) {
        auto module = parse_valid(command);
        try {
            store_.instantiate(std::move(module), imports_);
        } catch (const wasm::Error&) {
            return Outcome::passed;
        }
        throw CommandFailure("module linked, expected \"" + command.at("text").get<std::string>() +
                             "\"");
    }

    Outcome run_assert_uninstantiable(const json& command) {
        expect_instantiation_trap(command);
        return Outcome::passed;
    }

    void expect_instantiation_trap(const json& command) {
        auto module = parse_valid(command);
        try {
            store_.instantiate(std::move(module), imports_);
        } catch (const wasm::InstantiationTrap&) {
            return;
        } catch (const wasm::Error& e) {
            throw CommandFailure(std::string("instantiation failed without trapping: ") + e.what());
        }
        throw CommandFailure("module instantiated, expected trap \"" +
                             command.at("text").get<std::string>() + "\"");
    }

    wasm::Instance& find_instance(const json& command, const char* key) {
        if (command.contains(key)) {
            const auto name = command[key].get<std::string>();
            auto it = named_.find(name);
            if (it == named_.end()) throw CommandFailure("no module named " + name);
            return *it->second;
        }
        if (current_ == nullptr) throw CommandFailure("no current module");
        return *current_;
    }

    ActionResult perform(const json& action) {
        wasm::Instance& instance = find_instance(action, "module");
        const std::string type = action.at("type").get<std::string>();
        const std::string field = action.at("field").get<std::string>();
        ActionResult result;

        if (type == "get") {
            wasm::GlobalInstance* global = instance.find_global(field);
            if (global == nullptr) throw CommandFailure("no global export \"" + field + "\"");
            result.types.push_back(global->type.type);
            result.values.push_back(global->value);
            return result;
        }
        if (type != "invoke") throw CommandFailure("unknown action type " + type);

        wasm::FunctionInstance* function = instance.find_function(field);
        if (function == nullptr) throw CommandFailure("no function export \"" + field + "\"");
        const wasm::FuncType& signature = *function->type;
        const json& script_args = action.at("args");
        if (script_args.size() != signature.params.size()) {
            throw CommandFailure("\"" + field + "\" takes " +
                                 std::to_string(signature.params.size()) + " arguments, got " +
                                 std::to_string(script_args.size()));
        }
        std::vector<wasm::Value> args;
        for (size_t i = 0; i < script_args.size(); ++i) {
            if (parse_type(script_args[i]) != signature.params[i]) {
                throw CommandFailure("argument " + std::to_string(i) + " of \"" + field +
                                     "\" has the wrong type");
            }
            args.push_back(parse_argument(script_args[i], refs_));
        }
        const wasm::ExecResult exec = store_.call(*function, args, result.values);
        result.trap = exec.trap;
        if (exec.ok()) {
            if (result.values.size() != signature.results.size()) {
                throw CommandFailure("engine returned " + std::to_string(result.values.size()) +
                                     " values for " + std::to_string(signature.results.size()) +
                                     " results");
            }
            result.types = signature.results;
        } else {
            result.values.clear();
        }
        return result;
    }

    static std::string trapped(wasm::TrapKind trap) {
        return "trapped: \"" + std::string(wasm::trap_message(trap)) + "\"";
    }

    std::filesystem::path directory_;
    ScriptOptions options_;
    ExternRefs& refs_;
    Watchdog& watchdog_;
    wasm::Store store_;
    wasm::Imports imports_;
    wasm::Instance* current_ = nullptr;
    std::map<std::string, wasm::Instance*, std::less<>> named_;
};

} // namespace

ScriptResult run_script(const json& script, const std::filesystem::path& directory,
                        const ScriptOptions& options, ExternRefs& refs, Watchdog& watchdog) {
    ScriptResult result;
    ScriptRunner runner(directory, options, refs, watchdog);
    for (const json& command : script.at("commands")) {
        const int64_t line = command.value("line", int64_t{0});
        const std::string type = command.value("type", std::string("?"));
        std::string reason;
        try {
            if (runner.run(command) == Outcome::passed) {
                ++result.passed;
            } else {
                ++result.skipped;
            }
            continue;
        } catch (const CommandFailure& e) {
            reason = e.what();
        } catch (const std::exception& e) {
            reason = std::string("unexpected exception: ") + e.what();
        } catch (...) {
            reason = "unexpected non-standard exception";
        }
        ++result.failed;
        result.failures.push_back({line, type, std::move(reason)});
    }
    return result;
}

} // namespace wbpf::spec
