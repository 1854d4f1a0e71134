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

// Continues a hash over more bytes: memory_hash(a ++ b) ==
// memory_hash_continue(memory_hash(a), b) when a's size is a multiple of 8,
// so a file can be hashed chunk by chunk as it is written or read.
inline uint64_t memory_hash_continue(uint64_t h, std::span<const uint8_t> bytes) {
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

inline uint64_t memory_hash(std::span<const uint8_t> bytes) {
    return memory_hash_continue(0xcbf29ce484222325ull, bytes);  // FNV-1a 64 offset basis
}

// As printed in results: "0x" and 16 hex digits.
inline std::string memory_hash_text(uint64_t h) {
    return fmt::format("{:#018x}", h);
}

}  // namespace ptv
