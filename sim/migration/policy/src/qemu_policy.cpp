#include "ptv/migration/qemu_policy.hpp"

#include <fmt/format.h>

#include "ptv/migration/precopy_rules.hpp"

namespace ptv::migration {

PreCopyPolicy::Decision QemuPolicy::after_round(const RoundStats& s) {
    auto why = rules::fits_downtime(s, downtime_limit_s_);
    if (!why) why = rules::rounds_reached(s, kMaxRounds);
    reason_ = why.value_or("");
    return why ? Decision::StopAndCopy : Decision::Continue;
}

std::string QemuPolicy::describe() const {
    return fmt::format(
        "QEMU's rule: stop when the dirty pages can be sent within the downtime limit of {:g} "
        "ms (or after {} rounds)",
        downtime_limit_s_ * 1e3, kMaxRounds);
}

}  // namespace ptv::migration
