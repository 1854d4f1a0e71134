// One hash of a guest's RAM, computed the same way by the KVM worker and by
// the CPU model of sim/vmm, so "same final memory" is one comparison. It is
// FNV-1a taken over little-endian 64-bit words instead of bytes (eight times
// fewer multiplies: 64 MiB hash in about 10 ms); a tail shorter than a word
// is zero-padded. Not cryptographic: it detects differences, not attacks.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <fmt/format.h>

namespace ptv {

inline uint64_t memory_hash(std::span<const uint8_t> bytes) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis
    constexpr uint64_t kPrime = 0x100000001b3ull;
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        h = (h ^ w) * kPrime;
    }
    if (i < bytes.size()) {
        uint64_t w = 0;
        std::memcpy(&w, bytes.data() + i, bytes.size() - i);
        h = (h ^ w) * kPrime;
    }
    return h;
}

// As printed in results: "0x" and 16 hex digits.
inline std::string memory_hash_text(uint64_t h) {
    return fmt::format("{:#018x}", h);
}

}  // namespace ptv
