#include "bpf_listing.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace wbpf::e2e {
namespace {

nlohmann::json bpftool_json(const std::string& what) {
    std::string command = std::string(WBPF_BPFTOOL) + " -j " + what + " show 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("cannot run " + command);
    std::string text;
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0)
        text.append(buffer, n);
    if (text.empty()) return nlohmann::json::array();
    return nlohmann::json::parse(text);
}

} // namespace

std::set<uint32_t> bpf_program_ids(const std::set<std::string>& names) {
    std::set<uint32_t> ids;
    for (const auto& program : bpftool_json("prog")) {
        std::string name = program.value("name", "");
        if (names.empty() || names.count(name)) ids.insert(program.at("id").get<uint32_t>());
    }
    return ids;
}

std::set<uint32_t> bpf_link_ids_for(const std::set<uint32_t>& program_ids) {
    std::set<uint32_t> ids;
    for (const auto& link : bpftool_json("link")) {
        if (link.contains("prog_id") && program_ids.count(link.at("prog_id").get<uint32_t>()))
            ids.insert(link.at("id").get<uint32_t>());
    }
    return ids;
}

} // namespace wbpf::e2e
