// wbpf-gen: the generators as a standalone build tool, so examples can be built before (and
// without) the full runtime. Same arguments as `wbpf gen`:
//   wbpf-gen skeleton X.bpf.o [--name N] [-o OUT] [-v]
//   wbpf-gen types X.bpf.o [--type NAME ...] [-o OUT] [-v]
#include "gen.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int usage() {
    std::fprintf(stderr, "usage: wbpf-gen skeleton X.bpf.o [--name N] [-o OUT] [-v]\n"
                         "       wbpf-gen types X.bpf.o [--type NAME ...] [-o OUT] [-v]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) return usage();
    std::string command = argv[1];
    wbpf::gen::SkeletonOptions skeleton;
    wbpf::gen::TypesOptions types;
    std::string object, output, name;
    bool verbose = false;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if ((arg == "-o" || arg == "--output") && has_value) {
            output = argv[++i];
        } else if (arg == "--name" && has_value && command == "skeleton") {
            name = argv[++i];
        } else if (arg == "--type" && has_value && command == "types") {
            types.type_names.push_back(argv[++i]);
        } else if (arg == "-v" || arg == "--verbose") {
            verbose = true;
        } else if (!arg.starts_with("-") && object.empty()) {
            object = arg;
        } else {
            return usage();
        }
    }
    if (object.empty()) return usage();
    if (command == "skeleton") {
        skeleton.object_path = object;
        skeleton.output_path = output;
        skeleton.name = name;
        skeleton.verbose = verbose;
        return wbpf::gen::run_skeleton(skeleton);
    }
    if (command == "types") {
        types.object_path = object;
        types.output_path = output;
        types.verbose = verbose;
        return wbpf::gen::run_types(types);
    }
    return usage();
}
