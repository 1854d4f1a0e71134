#include "postcopy_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ptv/migration/xen_policy.hpp"

namespace ptv::lab::migration {

namespace sim = ptv::migration::sim;

sim::Config PostCopyProblem::config() const {
    sim::Config c;
    c.memory_pages = memory_pages;
    c.bandwidth = bandwidth;
    c.dirty = dirty;
    c.policy = sim::Policy::PostCopy;
    c.latency_us = latency_us;
    return c;
}

std::string PostCopyProblem::command() const {
    return fmt::format(
        "ptv migrate sim --policy postcopy --memory {} --bandwidth {} --dirty {} --latency {} -c",
        memory_pages, bandwidth, dirty, latency_us);
}

void check_postcopy(Context& ctx, const PostCopyProblem& p) {
    ptv::migration::XenPolicy unused;  // post-copy has no pre-copy rounds
    ptv::migration::PageOrderPush order;
    const sim::Result base = sim::simulate(p.config(), 0, unused, order);
    std::unique_ptr<PostCopyPushPolicy> push = make_lab_push();
    expect(push != nullptr, "make_lab_push returned no push policy");
    const sim::Result r = sim::simulate(p.config(), 0, unused, *push);
    const uint64_t bound =
        std::max<uint64_t>(1, uint64_t(std::floor(double(base.remote_faults) * p.fault_share)));
    auto ms = [&](sim::Time t) { return sim::milliseconds(t, p.bandwidth); };
    std::printf(
        "%s\n  %s\n  your push (%s): %llu remote faults, %.3f ms of stall; page order: %llu "
        "faults, %.3f ms; the bound: %llu faults\n  degraded window %.3f ms, %llu pages "
        "(every page once)\n\n",
        p.about.c_str(), p.command().c_str(), push->name().c_str(),
        (unsigned long long)r.remote_faults, ms(r.fault_wait),
        (unsigned long long)base.remote_faults, ms(base.fault_wait), (unsigned long long)bound,
        ms(r.degraded), (unsigned long long)r.postcopy_pages);
    ctx.measure("remote_faults", double(r.remote_faults));
    ctx.measure("page_order_faults", double(base.remote_faults));
    ctx.measure("stall_ms", ms(r.fault_wait));
    // What the simulator guarantees for any valid push; a kit check.
    expect(r.pages_sent == p.memory_pages && r.degraded == base.degraded,
           "the simulator sent a page twice (a kit bug)");
    expect(r.remote_faults <= bound,
           fmt::format("{} ({}): {} remote faults; at most {} here ({}page order has {})", p.about,
                       p.dirty, r.remote_faults, bound,
                       p.fault_share < 1 ? fmt::format("{:g} of ", p.fault_share) : "",
                       base.remote_faults));
}

void check_postcopy_all(Context& ctx, const std::vector<PostCopyProblem>& problems) {
    std::string input;
    for (const PostCopyProblem& p : problems)
        input += (input.empty() ? "" : "\n") + p.about + ": " + p.command();
    ctx.input(input);
    for (const PostCopyProblem& p : problems) check_postcopy(ctx, p);
}

}  // namespace ptv::lab::migration
