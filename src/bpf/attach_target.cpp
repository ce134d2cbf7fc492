#include "bpf/attach_target.hpp"

#include <charconv>

namespace wbpf::bpf {
namespace {

bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

/// Decimal or 0x-prefixed hexadecimal, the whole string.
std::optional<uint64_t> parse_number(std::string_view text) {
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        text.remove_prefix(2);
        base = 16;
    }
    if (text.empty()) return std::nullopt;
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

} // namespace

bool is_valid_interface_name(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    for (char c : name)
        if (c == '/' || c == ':' || c == '\0' || c == ' ' || c == '\t' || c == '\n') return false;
    return true;
}

std::optional<TcTarget> parse_tc_target(std::string_view text) {
    TcTarget target;
    size_t colon = text.find(':');
    std::string_view name = text.substr(0, colon);
    if (colon != std::string_view::npos) {
        std::string_view direction = text.substr(colon + 1);
        if (direction == "egress")
            target.egress = true;
        else if (direction != "ingress")
            return std::nullopt;
    }
    if (!is_valid_interface_name(name)) return std::nullopt;
    target.interface = name;
    return target;
}

std::optional<UprobeTarget> parse_uprobe_target(std::string_view text) {
    UprobeTarget target;
    size_t first = text.find(':');
    if (first == std::string_view::npos) return std::nullopt;
    if (all_digits(text.substr(0, first)) && text.find(':', first + 1) != std::string_view::npos) {
        auto pid = parse_number(text.substr(0, first));
        if (!pid || *pid == 0 || *pid > 0x3fffffff) return std::nullopt;
        target.pid = static_cast<int>(*pid);
        text.remove_prefix(first + 1);
    }
    size_t last = text.rfind(':');
    std::string_view binary = text.substr(0, last);
    std::string_view location = text.substr(last + 1);
    if (binary.empty() || location.empty() || binary.find('\0') != std::string_view::npos)
        return std::nullopt;
    target.binary = binary;

    if (location[0] >= '0' && location[0] <= '9') { // an address, no symbol
        auto offset = parse_number(location);
        if (!offset) return std::nullopt;
        target.offset = *offset;
        return target;
    }
    size_t plus = location.find('+');
    std::string_view symbol = location.substr(0, plus);
    if (symbol.empty() || symbol.find('\0') != std::string_view::npos) return std::nullopt;
    if (plus != std::string_view::npos) {
        auto offset = parse_number(location.substr(plus + 1));
        if (!offset) return std::nullopt;
        target.offset = *offset;
    }
    target.symbol = symbol;
    return target;
}

} // namespace wbpf::bpf
