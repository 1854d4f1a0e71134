// Hidden cases: problems drawn from the seed the grader picks, one of each
// class every time, so that a hidden test covers the same ground whatever
// the seed. Their input is every problem's `ptv migrate sim` command line,
// shown with --reveal.
#include <fmt/format.h>

#include "harness/postcopy_check.hpp"
#include "harness/precopy_check.hpp"
#include "ptv/common/rng.hpp"

namespace ptv::lab::migration {

namespace {

template <class T>
T pick(SplitMix64& rng, std::initializer_list<T> xs) {
    return *(xs.begin() + rng.below(xs.size()));
}

// Draws problems from `make` until one whose best stop is what the class
// is about (`is`), moving the limit off ties.
template <class Make, class Is>
PreCopyProblem draw(SplitMix64& rng, Make make, Is is) {
    for (int tries = 0; tries < 100; ++tries) {
        PreCopyProblem p = make(rng);
        avoid_ties(p);
        if (is(p, best_stop(p))) return p;
    }
    throw Failure("the generator found no problem of its class (a kit bug)");
}

// Converges: the dirty set shrinks to fit the limit after round 3 or 4.
PreCopyProblem converging(SplitMix64& rng) {
    const uint32_t k = uint32_t(rng.between(3, 4));
    return draw(
        rng,
        [k](SplitMix64& r) {
            PreCopyProblem p;
            p.about = fmt::format("converges after round {}", k);
            p.memory_pages = pick<uint64_t>(r, {4096, 8192, 16384});
            p.bandwidth = pick<uint64_t>(r, {2000, 4000, 5000, 10000});
            const uint64_t rate = p.bandwidth / pick<uint64_t>(r, {3, 4, 5});
            p.dirty = r.below(2) ? fmt::format("wws:{}:{}", pick<uint64_t>(r, {1024, 2048}), rate)
                                 : fmt::format("sweep:{}", rate);
            p.max_rounds = uint32_t(r.between(10, 30));
            // The limit between d_k and d_k-1, in whole ms.
            p.downtime_limit_ms = 0;
            const auto d = best_stop(p).dirty_per_round;
            const uint64_t lo = d[k - 1] * 1000 / p.bandwidth + 1;
            const uint64_t hi = (d[k - 2] * 1000 - 1) / p.bandwidth;
            p.downtime_limit_ms = hi >= lo ? lo + r.below(hi - lo + 1) : 0;
            return p;
        },
        [k](const PreCopyProblem& p, const BestStop& b) {
            return p.downtime_limit_ms > 0 && b.meets_limit && b.round == k;
        });
}

// A writable working set rewritten at least as fast as the link sends it,
// too large for the limit: the plateau from round 2 on.
PreCopyProblem plateau(SplitMix64& rng) {
    return draw(
        rng,
        [](SplitMix64& r) {
            PreCopyProblem p;
            p.about = "a writable working set no round gets rid of";
            p.memory_pages = pick<uint64_t>(r, {4096, 8192, 16384});
            p.bandwidth = pick<uint64_t>(r, {2000, 4000, 5000, 10000});
            const uint64_t wws = pick<uint64_t>(r, {128, 256, 512});
            p.dirty = fmt::format("wws:{}:{}", wws, p.bandwidth * pick<uint64_t>(r, {1, 2, 4}));
            p.downtime_limit_ms = 1 + r.below(wws * 1000 / p.bandwidth - 1);
            p.max_rounds = uint32_t(r.between(10, 30));
            return p;
        },
        [](const PreCopyProblem&, const BestStop& b) { return !b.meets_limit && b.round == 2; });
}

// The guest dirties memory faster than the link sends it.
PreCopyProblem exceeding(SplitMix64& rng) {
    return draw(
        rng,
        [](SplitMix64& r) {
            PreCopyProblem p;
            p.about = "dirty rate above the bandwidth";
            p.memory_pages = pick<uint64_t>(r, {1024, 2048, 4096});
            p.bandwidth = pick<uint64_t>(r, {1000, 2000, 4000});
            p.dirty = fmt::format("sweep:{}", p.bandwidth * pick<uint64_t>(r, {2, 3}));
            p.downtime_limit_ms = 1 + r.below(100);
            p.max_rounds = uint32_t(r.between(10, 30));
            return p;
        },
        [](const PreCopyProblem&, const BestStop& b) { return !b.meets_limit && b.round == 2; });
}

// Converging so slowly that max_rounds comes first.
PreCopyProblem capped(SplitMix64& rng) {
    return draw(
        rng,
        [](SplitMix64& r) {
            PreCopyProblem p;
            p.max_rounds = uint32_t(r.between(5, 10));
            p.about = fmt::format("converges too slowly for {} rounds", p.max_rounds);
            p.memory_pages = 16384;
            p.bandwidth = pick<uint64_t>(r, {5000, 10000});
            p.dirty = fmt::format("sweep:{}", p.bandwidth * pick<uint64_t>(r, {85, 90}) / 100);
            p.downtime_limit_ms = 1 + r.below(20);
            return p;
        },
        [](const PreCopyProblem& p, const BestStop& b) {
            return !b.meets_limit && b.round == p.max_rounds;
        });
}

}  // namespace

PTV_LAB_CASE("precopy-random") {
    SplitMix64 rng(ctx.seed());
    check_precopy_all(ctx, {converging(rng), plateau(rng), exceeding(rng), capped(rng)});
}

PTV_LAB_CASE("postcopy-random") {
    SplitMix64 rng(ctx.seed());
    std::vector<PostCopyProblem> problems;
    for (int i = 0; i < 2; ++i) {
        PostCopyProblem p;
        p.about = "a working set far from page 0";
        p.memory_pages = pick<uint64_t>(rng, {4096, 8192});
        p.bandwidth = pick<uint64_t>(rng, {2000, 4000, 5000, 10000});
        const uint64_t wws = pick<uint64_t>(rng, {32, 64, 128, 256});
        const uint64_t first = p.memory_pages / 2 + rng.below(p.memory_pages / 2 - wws + 1);
        p.dirty =
            fmt::format("wws:{}:{}:{}", wws, p.bandwidth / pick<uint64_t>(rng, {2, 4}), first);
        p.latency_us = pick<uint64_t>(rng, {100, 200, 500});
        p.fault_share = 0.25;
        problems.push_back(p);
    }
    PostCopyProblem s;
    s.about = "a sweep from page 0";
    s.memory_pages = pick<uint64_t>(rng, {2048, 4096});
    s.bandwidth = pick<uint64_t>(rng, {2000, 4000});
    s.dirty = fmt::format("sweep:{}", s.bandwidth * pick<uint64_t>(rng, {1, 2}) / 2);
    s.latency_us = pick<uint64_t>(rng, {100, 200, 500});
    s.fault_share = 1;
    problems.push_back(s);
    check_postcopy_all(ctx, problems);
}

}  // namespace ptv::lab::migration
