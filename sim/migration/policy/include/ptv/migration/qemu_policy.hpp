// QEMU's pre-copy stop rule (migration/ram.c): stop when the bytes still dirty could be sent within
// the downtime limit at the bandwidth measured so far (300 ms by default). QEMU itself would go on
// forever on a guest that never converges; the kit adds a round cap so that every migration ends.
#pragma once

#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration {

class QemuPolicy final : public PreCopyPolicy {
  public:
    static constexpr uint32_t kMaxRounds = 30;  // the kit's cap, not QEMU's

    // A limit of 0 switches the downtime rule off (only the cap is left).
    explicit QemuPolicy(double downtime_limit_s = kQemuDefaultDowntimeLimitS)
        : downtime_limit_s_(downtime_limit_s) {}

    // The downtime rule (convergence) before the round cap.
    Decision after_round(const RoundStats& stats) override;
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "qemu"; }
    std::string describe() const override;
    double downtime_limit_s() const { return downtime_limit_s_; }

  private:
    double downtime_limit_s_;
    std::string reason_;
};

}  // namespace ptv::migration
