// Post-copy (Hines & Gopalan, VEE 2009): the guest runs on the destination
// before its memory does; what it touches first is pulled on demand.
#include <fmt/format.h>

#include <stdexcept>

#include "ptv/migration/sim/simulator.hpp"

namespace ptv::migration::sim {

// The link sends one page per slot of one page time, back to back, from the
// resume until every missing page is there (so the degraded window is
// exactly missing pages x page time: each page moves once, the link is
// never idle). Each slot carries, in this order of preference:
//   1. the page of a remote fault whose request has reached the source
//      (fault time + latency <= slot start): demand paging first;
//   2. the page the push policy picks (the background push; Hines &
//      Gopalan's "active push"; PageOrderPush: the next missing page in
//      page order).
// The guest (one vCPU) runs its access stream; an access to a page not yet
// there is a remote fault: the guest stalls until the page arrives at the
// end of its slot (if the push already has it in flight, that slot). A
// stall shifts the rest of the guest's accesses by its length.
void run_postcopy(const Config& c, std::vector<bool> missing, Time guest_at_resume,
                  WriteStream& writes, PostCopyPushPolicy& push, Result& r) {
    const Time latency = Time(c.latency_us) * Time(c.bandwidth);  // u
    uint64_t remaining = 0;
    for (bool m : missing) remaining += m;
    r.postcopy_pages = remaining;
    Time t = r.resumed_at;
    Time shift = r.resumed_at - guest_at_resume;  // wall = guest time + shift
    struct Pending {
        uint64_t page;
        Time fault_at, ready;
    };
    std::optional<Pending> pending;
    uint64_t in_flight = UINT64_MAX;

    // The guest's accesses up to `bound` (inclusive or not), until one faults.
    auto run_guest = [&](Time bound, bool inclusive) {
        while (!pending) {
            const Time at = writes.peek().at;
            if (at == kNever) return;
            const Time wall = at + shift;
            if (inclusive ? wall > bound : wall >= bound) return;
            const auto w = writes.pop();
            if (!missing[w.page]) continue;
            ++r.remote_faults;
            const Time ready = w.page == in_flight ? kNever : wall + latency;
            pending = Pending{w.page, wall, ready};
        }
    };

    while (remaining > 0) {
        in_flight = UINT64_MAX;
        run_guest(t, true);
        uint64_t page;
        if (pending && pending->ready <= t) {
            page = pending->page;
            push.on_fault(page);
        } else {
            page = push.next(MissingPages(missing, remaining));
            if (page >= missing.size() || !missing[page])
                throw std::logic_error(fmt::format(
                    "the post-copy push '{}' chose page {}, which is {}", push.name(), page,
                    page >= missing.size() ? "outside memory" : "on the destination already"));
        }
        in_flight = page;
        run_guest(t + kPageTime, false);
        t += kPageTime;
        missing[page] = false;
        --remaining;
        if (pending && pending->page == page) {
            const Time wait = t - pending->fault_at;
            r.fault_wait += wait;
            if (r.faults.size() < kMaxFaultsKept)
                r.faults.push_back({pending->fault_at, page, wait});
            shift += wait;
            pending.reset();
        }
    }
    r.degraded = t - r.resumed_at;
    r.pages_sent += r.postcopy_pages;
}

}  // namespace ptv::migration::sim
