// The ptvlab side of bench-migration: `ptv migrate live counter --mode MODE
// --memory MIB --cmdline KIB --downtime-limit MS --stop-after 0.5 --json`,
// ptvlab's own live migration of the counter guest between two worker
// processes on loopback, with QEMU's downtime-limit.
//
// HOOK for the migration itself: where `ptv` has no `migrate live`, this
// returns nullopt and `why_not` says so ("not built yet: ..."),
// and the ptvlab columns of the table show it. Its JSON has at least:
//   {"mode", "rounds": [{"round", "pages", "bytes", "duration_ms"}],
//    "total_ms", "downtime_ms", "bytes_sent", "memory_bytes"}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_config.hpp"

namespace ptv::bench {

struct PtvRound {
    uint64_t round = 0, pages = 0, bytes = 0;
    double duration_ms = 0;
};

struct PtvResult {
    std::string mode;
    std::vector<PtvRound> rounds;
    double total_ms = 0, downtime_ms = 0;
    uint64_t bytes_sent = 0, memory_bytes = 0;
};

// One migration; nullopt (and why) if ptv cannot do it or its output is not
// what the benchmark understands. Never throws for a failing ptv.
std::optional<PtvResult> run_ptv_migration(const BenchConfig& config, const Case& c,
                                           std::string& why_not);

// Parses the --json output above; throws std::runtime_error naming a
// missing key.
PtvResult parse_ptv_result(const std::string& json);

}  // namespace ptv::bench
