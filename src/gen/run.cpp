// The CLI-facing wrappers around the generators.
#include "gen.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace wbpf::gen {
namespace {

void write_output(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::cout << text << std::flush;
        if (!std::cout) throw GenError("cannot write to stdout");
        return;
    }
    // Write next to the target and rename, so a failed run never leaves half a header behind.
    std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw GenError("cannot create " + temporary + ": " + std::strerror(errno));
        out << text;
        out.close();
        if (!out) throw GenError("cannot write " + temporary);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(temporary.c_str());
        throw GenError("cannot write " + path + ": " + std::strerror(err));
    }
}

template <typename Generate>
int run(const std::string& output_path, Generate generate) {
    try {
        write_output(output_path, generate());
        return 0;
    } catch (const GenError& error) {
        std::fprintf(stderr, "wbpf gen: %s\n", error.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "wbpf gen: out of memory\n");
    }
    return 1;
}

} // namespace

std::string default_skeleton_name(const std::string& object_path) {
    std::string name = object_path.substr(object_path.find_last_of('/') + 1);
    if (name.size() > 2 && name.ends_with(".o")) name.resize(name.size() - 2);
    for (char& c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) name.insert(0, "_");
    return name;
}

int run_skeleton(const SkeletonOptions& options) {
    return run(options.output_path, [&] { return generate_skeleton(options); });
}

int run_types(const TypesOptions& options) {
    return run(options.output_path, [&] { return generate_types(options); });
}

} // namespace wbpf::gen
