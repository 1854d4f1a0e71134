#include "ptv/migration/precopy_policy.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"

namespace ptv::migration {

PreCopyPolicy PreCopyPolicy::xen() {
    return PreCopyPolicy("xen", {.max_rounds = 30, .max_sent_factor = 3.0, .min_dirty_pages = 50});
}

PreCopyPolicy PreCopyPolicy::qemu(double downtime_limit_s) {
    return PreCopyPolicy("qemu", {.max_rounds = 30, .downtime_limit_s = downtime_limit_s});
}

PreCopyPolicy PreCopyPolicy::named(const std::string& name) {
    if (name == "xen") return xen();
    if (name == "qemu") return qemu();
    throw UsageError(fmt::format("unknown pre-copy policy '{}': use xen or qemu", name));
}

// The rules are tried in a fixed order, so the reason is deterministic when
// several hold at once: convergence first (the good ends), then the caps.
PreCopyPolicy::Decision PreCopyPolicy::after_round(const RoundStats& s) {
    const StopConditions& c = conditions_;
    if (c.min_dirty_pages && s.pages_dirty < c.min_dirty_pages) {
        reason_ = fmt::format("{} dirty pages < {}", s.pages_dirty, c.min_dirty_pages);
        return Decision::StopAndCopy;
    }
    if (c.downtime_limit_s > 0 && s.bandwidth_bytes_per_s > 0) {
        const double remaining_s = double(s.pages_dirty * kPageSize) / s.bandwidth_bytes_per_s;
        if (remaining_s <= c.downtime_limit_s) {
            reason_ = fmt::format("{} dirty pages fit in {:.1f} ms <= {:.0f} ms downtime limit",
                                  s.pages_dirty, remaining_s * 1e3, c.downtime_limit_s * 1e3);
            return Decision::StopAndCopy;
        }
    }
    if (c.max_sent_factor > 0 &&
        double(s.total_pages_sent) >= c.max_sent_factor * double(s.memory_pages)) {
        reason_ = fmt::format("{} pages sent >= {:g}x memory", s.total_pages_sent,
                              c.max_sent_factor);
        return Decision::StopAndCopy;
    }
    if (c.max_rounds && s.round >= c.max_rounds) {
        reason_ = fmt::format("{} rounds reached", c.max_rounds);
        return Decision::StopAndCopy;
    }
    reason_.clear();
    return Decision::Continue;
}

}  // namespace ptv::migration
