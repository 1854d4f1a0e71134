// Xen's pre-copy stop rules (xc_domain_save), the system Clark et al. 2005
// measured: pre-copy ends after at most 30 rounds, once 3x the guest's
// memory has been sent in all, or when fewer than 50 pages are left dirty.
#pragma once

#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration {

class XenPolicy final : public PreCopyPolicy {
  public:
    static constexpr uint32_t kMaxRounds = 30;
    static constexpr double kMaxSentFactor = 3.0;
    static constexpr uint64_t kMinDirtyPages = 50;

    // Tried in a fixed order, so the reason is deterministic when several
    // hold at once: convergence first (the good end), then the caps.
    Decision after_round(const RoundStats& stats) override;
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "xen"; }
    std::string describe() const override;

  private:
    std::string reason_;
};

}  // namespace ptv::migration
