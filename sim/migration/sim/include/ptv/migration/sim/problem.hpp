// The problems of `ptv migrate sim`: a configuration drawn from a seed (the
// OSTEP homework convention: -s SEED makes a problem, options override it),
// and the bandwidth syntax.
#pragma once

#include <cstdint>
#include <string>

#include "ptv/migration/sim/simulator.hpp"

namespace ptv::migration::sim {

struct Problem {
    Config cfg;
    uint64_t seed = 0;
    bool generated = false;  // from -s
};

// The configuration of seed S (SplitMix64, the same on every machine).
Config generate(uint64_t seed);

// "25000" or "25000pages/s" (pages of 4 KiB per second), or a rate in
// bytes (KB/s, MB/s, GB/s: powers of 10; KiB/s, MiB/s, GiB/s: powers of 2)
// or bits (Kbit, Mbit, Gbit, optionally "/s" or "ps"), rounded down to whole
// pages per second. Throws ptv::UsageError.
uint64_t parse_bandwidth(const std::string& text);

}  // namespace ptv::migration::sim
