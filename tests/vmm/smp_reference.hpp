// What guests/smp.asm prints, computed here the way the guest does: CPU k
// runs R rounds of xorshift32 (Marsaglia 2003, shifts 13, 17, 5) from the
// seed k + 1, and the boot CPU XORs the CPUs' states.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace ptv::test {

inline uint32_t smp_result(uint32_t cpus, uint32_t rounds) {
    uint32_t folded = 0;
    for (uint32_t k = 0; k < cpus; ++k) {
        uint32_t x = k + 1;
        for (uint32_t i = 0; i < rounds; ++i) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
        folded ^= x;
    }
    return folded;
}

// Every CPU checked in (its bit set) when the loader gave each the right
// registers.
inline std::string smp_line(uint32_t cpus, uint32_t rounds) {
    return fmt::format("smp: {} cpus, checked in {:#010x}, {} rounds, result {:#010x}\n", cpus,
                       (1u << cpus) - 1, rounds, smp_result(cpus, rounds));
}

}  // namespace ptv::test
