#include "extern_refs.hpp"

namespace wbpf::spec {

void* ExternRefs::pointer(uint64_t number) {
    auto& cell = cells_[number];
    if (!cell) cell = std::make_unique<uint8_t>(0);
    return cell.get();
}

std::optional<uint64_t> ExternRefs::number(const void* pointer) const {
    for (const auto& [number, cell] : cells_) {
        if (cell.get() == pointer) return number;
    }
    return std::nullopt;
}

} // namespace wbpf::spec
