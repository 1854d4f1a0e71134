// The seeded generator of the migration exercises: SplitMix64, written out
// here so that the same seed gives the same problem on every machine and
// standard library (std::uniform_int_distribution is not portable).
#pragma once

#include <cstdint>

namespace ptv::migration::sim {

class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // A number in [0, n) (n > 0); the modulo bias is irrelevant here.
    uint64_t below(uint64_t n) { return next() % n; }

  private:
    uint64_t state_;
};

}  // namespace ptv::migration::sim
