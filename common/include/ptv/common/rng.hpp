// The seeded generator of every exercise, model and randomised test:
// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014). Written out here, not taken from <random>, so
// that the same seed gives the same problem with every compiler and
// standard library (std::uniform_int_distribution promises no such thing).
#pragma once

#include <cstdint>

namespace ptv {

class SplitMix64 {
  public:
    constexpr explicit SplitMix64(uint64_t seed) : state_(seed) {}

    // One step: add the golden-ratio increment (Weyl sequence), then mix
    // the new state with two multiply-xorshift rounds.
    constexpr uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    // A number in [0, n) (n > 0), by modulo: the bias is irrelevant to the
    // small ranges the exercises draw from.
    constexpr uint64_t below(uint64_t n) { return next() % n; }

    // A number in [lo, hi] (lo <= hi), by modulo likewise.
    constexpr int between(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }

  private:
    uint64_t state_;
};

}  // namespace ptv
