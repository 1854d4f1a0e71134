// How the guest writes its memory while it migrates: the dirty-page models
// of `ptv migrate sim --dirty SPEC` (syntax in sim/migration/README.md).
//
//   idle                 no writes
//   uniform:RATE         RATE pages/s, each a page drawn at random (seeded)
//                        from all of memory
//   wws:PAGES:RATE[:FIRST]
//                        a writable working set (Clark et al. 2005, sec. 3.3):
//                        pages FIRST..FIRST+PAGES-1 (FIRST = 0 by default)
//                        rewritten round-robin at RATE pages/s
//   sweep:RATE           a sequential sweep 0, 1, 2, ... through all of memory
//                        (wrapping) at RATE pages/s
//   phases:M@D,M@D,...   each model M for a duration D (e.g. 2s, 500ms,
//                        250us); the sequence repeats
//
// Writes are evenly spaced: by time t (seconds into a phase) a model of
// RATE pages/s has written floor(t RATE) pages. Post-copy reads the same
// stream as the guest's accesses on the destination.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/common/rng.hpp"
#include "ptv/migration/sim/time.hpp"

namespace ptv::migration::sim {

struct DirtyPhase {
    enum class Kind { Idle, Uniform, WritableWorkingSet, Sweep };
    Kind kind = Kind::Idle;
    uint64_t rate = 0;         // pages/s
    uint64_t wws_pages = 0;    // WritableWorkingSet only: its size
    uint64_t wws_first = 0;    // and its first page
    uint64_t duration_us = 0;  // 0: for ever (a single model)
};

struct DirtyModel {
    std::vector<DirtyPhase> phases;
    std::string spec;  // as given, for the reports

    // Parses SPEC; throws ptv::UsageError (one line) on anything malformed.
    static DirtyModel parse(const std::string& spec);
    // Throws ptv::UsageError if a phase does not fit MEMORY pages.
    void check(uint64_t memory_pages) const;
    // One line in words ("a writable working set of 256 pages rewritten at
    // 5000 pages/s").
    std::string describe() const;
};

// The guest's writes in guest time, one at a time, in order.
class WriteStream {
  public:
    struct Write {
        Time at = kNever;  // guest time in u
        uint64_t page = 0;
    };
    WriteStream(const DirtyModel& model, uint64_t memory_pages, uint64_t bandwidth, uint64_t seed);
    // The next write (at = kNever: the guest writes no more).
    const Write& peek() const { return next_; }
    Write pop();

  private:
    void advance();

    const DirtyModel& model_;
    uint64_t memory_, bandwidth_;
    SplitMix64 rng_;
    size_t phase_ = 0;
    Time phase_start_ = 0;
    uint64_t j_ = 0;  // writes so far in this phase
    Write next_;
};

}  // namespace ptv::migration::sim
