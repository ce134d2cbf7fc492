// `wbpf gen skeleton|types`: the header generators of src/gen behind the CLI.
#include "gen/gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

#include <memory>

namespace wbpf::cli {

CommandAction add_gen_command(CLI::App& app, const GlobalOptions&) {
    CLI::App* gen = app.add_subcommand("gen", "Generate guest headers from a BPF object");
    gen->require_subcommand(1);

    auto skeleton = std::make_shared<gen::SkeletonOptions>();
    CLI::App* skel_cmd = gen->add_subcommand(
        "skeleton", "Write a wasm32 skeleton header embedding X.bpf.o (maps, programs, datasecs)");
    skel_cmd->add_option("object", skeleton->object_path, "The BPF object (with BTF)")
        ->required()
        ->type_name("X.bpf.o");
    skel_cmd->add_option("--name", skeleton->name,
                         "Skeleton name (default: from the file name, as bpftool does)");
    skel_cmd->add_option("-o,--output", skeleton->output_path, "Output file (default: stdout)");
    skel_cmd->add_flag("-v,--verbose", skeleton->verbose, "Show libbpf's messages");

    auto types = std::make_shared<gen::TypesOptions>();
    CLI::App* types_cmd = gen->add_subcommand(
        "types", "Write C definitions of BTF types laid out identically for BPF and wasm32");
    types_cmd->add_option("object", types->object_path, "The BPF object (with BTF)")
        ->required()
        ->type_name("X.bpf.o");
    types_cmd
        ->add_option("--type", types->type_names,
                     "A type to emit with its dependencies (repeatable; default: all)")
        ->type_name("NAME")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    types_cmd->add_option("-o,--output", types->output_path, "Output file (default: stdout)");
    types_cmd->add_flag("-v,--verbose", types->verbose, "Show libbpf's messages");

    return [=]() -> int {
        int status = skel_cmd->parsed() ? gen::run_skeleton(*skeleton) : gen::run_types(*types);
        return status == 0 ? 0 : exit_code::invalid_module;
    };
}

} // namespace wbpf::cli
