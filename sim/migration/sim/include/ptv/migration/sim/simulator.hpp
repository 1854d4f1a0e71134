// `ptv migrate sim`: a deterministic live-migration simulator with exact
// answers (rules in sim/migration/README.md).
//
// - PreCopy (Clark et al., NSDI 2005): round 1 sends all memory, each next
//   round the pages dirtied during the previous one; after each round the
//   shared PreCopyPolicy decides (the same interface the real migrator
//   uses; Xen's or QEMU's rules, or one's own);
//   then stop-and-copy sends what is still dirty with the guest paused.
// - StopAndCopy: pause at once and send everything.
// - PostCopy (Hines & Gopalan, VEE 2009): pause, send the CPU state, resume
//   on the destination; a background push sends every page once (in page
//   order, or as a PostCopyPushPolicy chooses) while the guest's accesses
//   to pages not yet there are remote faults, served first on the link
//   after a network latency.
// - Hybrid (Hines & Gopalan, sec. 3): a few pre-copy rounds, then post-copy
//   of what the last round left dirty.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ptv/migration/postcopy_push.hpp"
#include "ptv/migration/precopy_policy.hpp"
#include "ptv/migration/sim/dirty_model.hpp"
#include "ptv/migration/sim/time.hpp"

namespace ptv::migration::sim {

enum class Policy { PreCopy, StopAndCopy, PostCopy, Hybrid };
const char* to_string(Policy p);
Policy parse_policy(const std::string& name);  // throws ptv::UsageError

struct Config {
    uint64_t memory_pages = 1000;
    uint64_t bandwidth = 1000;          // pages/s
    std::string dirty = "wws:100:500";  // a DirtyModel spec
    Policy policy = Policy::PreCopy;
    std::string stop = "xen";        // the PreCopyPolicy: "xen" or "qemu"
    uint64_t downtime_limit_ms = 0;  // --stop qemu: 0 = QEMU's 300 ms
    uint64_t state_pages = 1;        // CPU and device state, sent while paused
    uint64_t latency_us = 200;       // post-copy: fault request to the source
    uint32_t hybrid_rounds = 1;      // hybrid: pre-copy rounds at most
};

// Throws ptv::UsageError (one line) for a configuration out of range.
void validate(const Config& c);
// The pre-copy policy of a configuration: XenPolicy or QemuPolicy.
std::unique_ptr<PreCopyPolicy> make_policy(const Config& c);

struct Round {
    uint32_t round = 0;
    Time start = 0, duration = 0;
    uint64_t pages_sent = 0, pages_dirty = 0;
    bool stop = false;   // the policy said StopAndCopy after this round
    std::string reason;  // the policy's reason (or the hybrid's cap)
};

struct RemoteFault {
    Time at = 0;  // wall time of the access
    uint64_t page = 0;
    Time wait = 0;  // until the page arrived
};

struct Result {
    Config cfg;
    std::vector<Round> rounds;     // pre-copy rounds (none for stop/post-copy)
    Time paused_at = 0;            // the guest stops on the source
    uint64_t stop_copy_pages = 0;  // memory pages sent while paused
    Time downtime = 0;             // paused_at .. resumed on the destination
    Time resumed_at = 0;
    // Post-copy (and hybrid): pages pulled after the resume.
    uint64_t postcopy_pages = 0;
    Time degraded = 0;  // resume .. the last page present
    uint64_t remote_faults = 0;
    Time fault_wait = 0;              // the guest's total stall on faults
    std::vector<RemoteFault> faults;  // the first kMaxFaultsKept, for the trace
    uint64_t pages_sent = 0;          // memory pages in all (state not counted)
    Time total = 0;                   // start .. every page on the destination
    // Clark et al.'s lesson: the round from which the dirty set stopped
    // shrinking (by more than 10% a round), and its size.
    std::optional<std::pair<uint32_t, uint64_t>> plateau;

    double sent_factor() const { return double(pages_sent) / double(cfg.memory_pages); }
};

inline constexpr size_t kMaxFaultsKept = 100'000;

// Runs one migration; `seed` drives the random dirty models.
Result simulate(const Config& c, uint64_t seed);
// The same with a pre-copy policy of one's own instead of c.stop's.
Result simulate(const Config& c, uint64_t seed, PreCopyPolicy& policy);
// ... and a post-copy push of one's own instead of page order.
Result simulate(const Config& c, uint64_t seed, PreCopyPolicy& policy, PostCopyPushPolicy& push);

// The parts simulate() puts together (precopy_sim.cpp, postcopy_sim.cpp).
// Pre-copy rounds from time 0 until the policy (or max_rounds) stops them;
// returns the pages dirty at the pause (a page bitmap).
std::vector<bool> run_precopy(const Config& c, PreCopyPolicy& policy, uint32_t max_rounds,
                              WriteStream& writes, Result& r);
// Post-copy of the pages `missing` from r.resumed_at on; guest time
// `guest_at_resume` is where the guest's own clock stood when it paused;
// `push` picks each slot's page when no fault does.
void run_postcopy(const Config& c, std::vector<bool> missing, Time guest_at_resume,
                  WriteStream& writes, PostCopyPushPolicy& push, Result& r);
// The plateau of Clark et al. over r.rounds.
void find_plateau(Result& r);

}  // namespace ptv::migration::sim
