// The host values that stand for the spec scripts' `externref N` constants.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace wbpf::spec {

/// Maps each script externref number N to a distinct, non-null host pointer that stays valid
/// (and equal) for the registry's lifetime, and back. The pointers are never dereferenced by
/// the engine; they only need to be unique per N.
class ExternRefs {
public:
    void* pointer(uint64_t number);
    /// The number whose pointer is `pointer`, if it is one of ours.
    std::optional<uint64_t> number(const void* pointer) const;

private:
    std::map<uint64_t, std::unique_ptr<uint8_t>> cells_;
};

} // namespace wbpf::spec
