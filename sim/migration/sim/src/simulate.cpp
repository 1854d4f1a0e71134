// One migration under each policy, from the parts in precopy_sim.cpp and
// postcopy_sim.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "ptv/common/error.hpp"
#include "ptv/migration/sim/simulator.hpp"

namespace ptv::migration::sim {

Result simulate(const Config& c, uint64_t seed) {
    validate(c);
    return simulate(c, seed, *make_policy(c));
}

Result simulate(const Config& c, uint64_t seed, PreCopyPolicy& policy) {
    PageOrderPush push;
    return simulate(c, seed, policy, push);
}

Result simulate(const Config& c, uint64_t seed, PreCopyPolicy& policy, PostCopyPushPolicy& push) {
    validate(c);
    const DirtyModel model = DirtyModel::parse(c.dirty);
    model.check(c.memory_pages);
    // Every write is simulated: refuse what would take minutes. The longest
    // migration sends memory 31 times (30 rounds and a stop-and-copy).
    uint64_t rate = 0;
    for (const auto& p : model.phases) rate = std::max(rate, p.rate);
    const double most = double(rate) * 31.0 * double(c.memory_pages) / double(c.bandwidth);
    if (most > 2e9)
        throw UsageError(fmt::format(
            "--dirty '{}' would write up to {:.0e} pages before the migration ends: lower the "
            "rate or raise --bandwidth",
            c.dirty, most));
    WriteStream writes(model, c.memory_pages, c.bandwidth, seed);
    Result r;
    r.cfg = c;
    const Time state = Time(c.state_pages) * kPageTime;
    switch (c.policy) {
        case Policy::StopAndCopy:
            // Pause at once; memory and state go while the guest is stopped.
            r.stop_copy_pages = c.memory_pages;
            r.pages_sent = c.memory_pages;
            r.downtime = Time(c.memory_pages) * kPageTime + state;
            r.resumed_at = r.total = r.downtime;
            break;
        case Policy::PreCopy: {
            run_precopy(c, policy, UINT32_MAX, writes, r);
            // Stop-and-copy: the last round's dirty pages plus the state.
            r.stop_copy_pages = r.rounds.back().pages_dirty;
            r.pages_sent += r.stop_copy_pages;
            r.downtime = Time(r.stop_copy_pages) * kPageTime + state;
            r.resumed_at = r.total = r.paused_at + r.downtime;
            find_plateau(r);
            break;
        }
        case Policy::PostCopy:
            // Only the CPU state moves while paused.
            r.downtime = state;
            r.resumed_at = state;
            run_postcopy(c, std::vector<bool>(c.memory_pages, true), 0, writes, push, r);
            r.total = r.resumed_at + r.degraded;
            break;
        case Policy::Hybrid: {
            auto dirty = run_precopy(c, policy, c.hybrid_rounds, writes, r);
            r.downtime = state;
            r.resumed_at = r.paused_at + state;
            // The guest's clock stood at the pause: it ran until then.
            run_postcopy(c, std::move(dirty), r.paused_at, writes, push, r);
            r.total = r.resumed_at + r.degraded;
            find_plateau(r);
            break;
        }
    }
    return r;
}

}  // namespace ptv::migration::sim
