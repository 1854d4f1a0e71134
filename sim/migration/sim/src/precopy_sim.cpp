// Pre-copy (Clark et al., NSDI 2005, sec. 3): iterative rounds while the
// guest keeps running, then stop-and-copy.
#include <fmt/format.h>

#include "ptv/migration/sim/simulator.hpp"

namespace ptv::migration::sim {

// Round r sends its pages back to back: it lasts pages x one page time.
// The dirty bitmap of round r is the set of pages written in (start, end]:
// a page written twice is one page to send next round (Xen's log-dirty
// bitmap, QEMU's dirty bitmap: a set, not a log). At the end of the round
// the policy sees the round's numbers and decides.
std::vector<bool> run_precopy(const Config& c, PreCopyPolicy& policy, uint32_t max_rounds,
                              WriteStream& writes, Result& r) {
    std::vector<bool> dirty(c.memory_pages);
    uint64_t to_send = c.memory_pages;  // round 1: all of memory
    uint64_t total = 0;
    Time t = 0;
    for (uint32_t n = 1;; ++n) {
        Round round;
        round.round = n;
        round.start = t;
        round.duration = Time(to_send) * kPageTime;
        round.pages_sent = to_send;
        const Time end = t + round.duration;
        dirty.assign(c.memory_pages, false);
        while (writes.peek().at <= end) {
            const auto w = writes.pop();
            if (!dirty[w.page]) {
                dirty[w.page] = true;
                ++round.pages_dirty;
            }
        }
        total += to_send;
        const RoundStats stats{.round = n,
                               .pages_sent = round.pages_sent,
                               .pages_dirty = round.pages_dirty,
                               .duration_s = seconds(round.duration, c.bandwidth),
                               .total_pages_sent = total,
                               .memory_pages = c.memory_pages,
                               .bandwidth_bytes_per_s = double(c.bandwidth * kPageSize)};
        round.stop = policy.after_round(stats) == PreCopyPolicy::Decision::StopAndCopy;
        round.reason = policy.reason();
        if (!round.stop && n >= max_rounds) {
            round.stop = true;
            round.reason = fmt::format("hybrid: {} pre-copy round{}, then post-copy", max_rounds,
                                       max_rounds == 1 ? "" : "s");
        }
        r.rounds.push_back(round);
        t = end;
        if (round.stop) break;
        to_send = round.pages_dirty;
    }
    r.pages_sent = total;
    r.paused_at = t;
    return dirty;
}

// A plateau: a round whose dirty set is at least 90% of the round before
// (it shrank by less than 10%), while there is something dirty at all.
// Clark et al. (sec. 3.3, Fig. 3): the writable working set is rewritten
// faster than it can be sent, so every round ends with about the WWS dirty.
void find_plateau(Result& r) {
    for (size_t i = 1; i < r.rounds.size(); ++i) {
        const uint64_t before = r.rounds[i - 1].pages_dirty, now = r.rounds[i].pages_dirty;
        if (before > 0 && now * 10 >= before * 9) {
            r.plateau = {r.rounds[i - 1].round, now};
            return;
        }
    }
}

}  // namespace ptv::migration::sim
