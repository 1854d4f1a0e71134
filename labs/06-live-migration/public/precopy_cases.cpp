// Part 1, pre-copy: public cases. Each is one migration on the simulator
// with your policy, checked against the best stop (harness/precopy_check.hpp).
#include "harness/precopy_check.hpp"

namespace ptv::lab::migration {

namespace {

PreCopyProblem problem(std::string about, uint64_t memory, uint64_t bandwidth, std::string dirty,
                       uint64_t limit_ms, uint32_t max_rounds) {
    PreCopyProblem p{std::move(about), memory, bandwidth, std::move(dirty), limit_ms, max_rounds};
    return p;
}

}  // namespace

PTV_LAB_CASE("precopy-converges") {
    // Dirty pages shrink 4x a round: 1024, 256, 64, 16; 16 pages fit in
    // 20 ms at 2000 pages/s (8 ms), 64 do not (32 ms).
    check_precopy_all(
        ctx, {problem("a working set rewritten slower than the link", 4096, 2000, "wws:1024:500",
                      20, 30),
              problem("a sweep at a quarter of the bandwidth", 8192, 4000, "sweep:1000", 10, 30)});
}

PTV_LAB_CASE("precopy-wws-plateau") {
    // 256 pages rewritten at twice the link's speed: every round ends with
    // all 256 dirty (64 ms at 4000 pages/s), more than the 10 ms limit.
    check_precopy_all(ctx, {problem("a writable working set rewritten faster than the link", 8192,
                                    4000, "wws:256:8000", 10, 30)});
}

PTV_LAB_CASE("precopy-dirty-exceeds-bandwidth") {
    // The guest dirties three pages while the link sends one: every round
    // ends with all memory dirty.
    check_precopy_all(
        ctx,
        {problem("a sweep through memory at 3x the bandwidth", 2048, 1000, "sweep:3000", 50, 30),
         problem("random writes at twice the bandwidth", 4096, 2000, "uniform:4000", 20, 30)});
}

PTV_LAB_CASE("precopy-round-cap") {
    // Dirty pages shrink by only 10% a round: after 8 rounds some 7000 are
    // dirty, 700 ms at 10000 pages/s, far over the limit, still shrinking.
    check_precopy_all(ctx, {problem("a sweep at 90% of the bandwidth, at most 8 rounds", 16384,
                                    10000, "sweep:9000", 10, 8)});
}

}  // namespace ptv::lab::migration
