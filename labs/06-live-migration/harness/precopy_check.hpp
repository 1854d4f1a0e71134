// Part 1's checks: a pre-copy problem run in the migration simulator with
// the student's policy, against the bounds the best stopping round reaches.
//
// Every policy sees the same rounds until it stops (the guest's writes are
// a function of time only), so the harness runs the migration once without
// stopping (to max_rounds) and reads the best stop off that sequence of
// rounds: the first round n whose dirty pages fit the downtime limit, or
// whose dirty set did not shrink (d_n >= d_n-1: Clark et al.'s writable
// working set, more rounds only resend it), or n = max_rounds. Stopping
// there sends the fewest pages that still meet the limit where it can be
// met; stopping later only adds pages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"
#include "ptv/migration/sim/simulator.hpp"

namespace ptv::lab::migration {

struct PreCopyProblem {
    std::string about;  // the class of problem, in words
    uint64_t memory_pages = 0;
    uint64_t bandwidth = 0;  // pages/s
    std::string dirty;       // a DirtyModel spec (sim/migration/README.md)
    uint64_t downtime_limit_ms = 0;
    uint32_t max_rounds = 30;

    MigrationGoals goals() const { return {double(downtime_limit_ms) / 1e3, max_rounds}; }
    ptv::migration::sim::Config config() const;
    // The command that shows the same migration (with Xen's rules).
    std::string command() const;
};

// Where the best policy stops, read off the rounds of a run to max_rounds.
struct BestStop {
    uint32_t round = 0;
    uint64_t pages = 0;        // rounds 1..round and the stop-and-copy
    uint64_t dirty = 0;        // the stop-and-copy's pages
    bool meets_limit = false;  // its downtime is within the limit
    std::string why;
    std::vector<uint64_t> dirty_per_round;  // d_1 .. d_max_rounds
};
BestStop best_stop(const PreCopyProblem& p);

// Moves the limit off any d_n that would sit exactly on it (where two ways
// of computing "fits" could round differently): 1 ms more each time.
void avoid_ties(PreCopyProblem& p);

// The student's policy on `p`; fails the case unless it stops within
// max_rounds, meets the downtime limit where the best stop does, and sends
// no more pages than the best stop. Returns the student's run.
ptv::migration::sim::Result check_precopy(Context& ctx, const PreCopyProblem& p);

// Several problems in one case: each is checked; the input lists them all.
void check_precopy_all(Context& ctx, const std::vector<PreCopyProblem>& problems);

}  // namespace ptv::lab::migration
