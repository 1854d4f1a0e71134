// The workload of `ptv threads sim`: each user thread is a list of bursts,
// `cN` (compute N ticks) and `bN` (block in a system call for N ticks),
// threads separated by ',' or ';'. Example: "c5 b10 c3, c4, c2 b2 c2".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/common/rng.hpp"

namespace ptv::threads::sim {

// Limits past which a problem is absurd (and would not fit a terminal or
// memory): input beyond them is a usage error, not a long wait.
inline constexpr int kMaxThreads = 1000;
inline constexpr int kMaxBurst = 1'000'000;
inline constexpr int kMaxBurstsPerThread = 1000;
inline constexpr int64_t kMaxTotalTicks = 1'000'000;  // sum of all bursts

struct Burst {
    enum Kind : char { Compute = 'c', Block = 'b' } kind;
    int ticks;
    bool operator==(const Burst&) const = default;
};

using ThreadBursts = std::vector<Burst>;
using Workload = std::vector<ThreadBursts>;

// Parses SPEC; throws ptv::UsageError naming the mistake. Rules: every
// thread has at least one burst, starts with a compute burst (a thread must
// run to make a system call) and never has two blocks in a row.
Workload parse_workload(std::string_view spec);

// "c5 b10 c3, c4" (the canonical spelling of a workload).
std::string to_string(const ThreadBursts& bursts);
std::string to_string(const Workload& w);

int64_t compute_ticks(const ThreadBursts& bursts);
int64_t total_ticks(const ThreadBursts& bursts);  // compute + block

// The exercises' generator (common/rng.hpp), so that the same seed gives
// the same problem with every compiler and standard library.
using Rng = ptv::SplitMix64;

// A random workload: `threads` threads (2..4 when 0), each 1..3 compute
// bursts of 1..6 ticks with blocks of 2..8 ticks between them.
Workload generate_workload(uint64_t seed, int threads = 0);

}  // namespace ptv::threads::sim
