#include "ptv/migration/xen_policy.hpp"

#include <fmt/format.h>

#include "ptv/migration/precopy_rules.hpp"

namespace ptv::migration {

PreCopyPolicy::Decision XenPolicy::after_round(const RoundStats& s) {
    auto why = rules::few_dirty_pages(s, kMinDirtyPages);
    if (!why) why = rules::sent_too_much(s, kMaxSentFactor);
    if (!why) why = rules::rounds_reached(s, kMaxRounds);
    reason_ = why.value_or("");
    return why ? Decision::StopAndCopy : Decision::Continue;
}

std::string XenPolicy::describe() const {
    return fmt::format(
        "Xen's rules: stop after {} rounds, once {:g}x memory is sent, or when fewer than {} "
        "pages are dirty",
        kMaxRounds, kMaxSentFactor, kMinDirtyPages);
}

}  // namespace ptv::migration
