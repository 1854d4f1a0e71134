// Part 1: when to stop pre-copying (README.md, part 1).
//
// Clark et al. (NSDI 2005) send all memory while the guest runs, then in
// rounds what it dirtied meanwhile, and pause it for a last stop-and-copy
// once another round would not pay. After every round the migrator calls
// after_round() with the round's numbers (RoundStats); your answer decides
// how long the guest is paused (the downtime) and how many pages cross.
// sim/migration/policy has the kit's two policies (Xen's, QEMU's) to read.
#include <cstdio>

#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"

namespace ptv::lab::migration {

namespace {

class LabPolicy final : public PreCopyPolicy {
  public:
    explicit LabPolicy(const MigrationGoals& goals) : goals_(goals) {}

    Decision after_round(const RoundStats& s) override {
        // TODO(L6): stop (and say why in reason_) when the dirty pages can
        // be sent within goals_.downtime_limit_s at s.bandwidth_bytes_per_s,
        // when the dirty set did not shrink since the last round, or when
        // goals_.max_rounds rounds are done; else continue.
        (void)s;
        throw NotImplemented("LabPolicy::after_round (TODO(L6) in precopy.cpp)");
    }
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "lab"; }
    std::string describe() const override {
        char text[120];
        std::snprintf(text, sizeof text,
                      "the lab's policy: downtime limit %g ms, at most %u rounds",
                      goals_.downtime_limit_s * 1e3, goals_.max_rounds);
        return text;
    }

  private:
    MigrationGoals goals_;
    std::string reason_;
};

}  // namespace

std::unique_ptr<PreCopyPolicy> make_lab_precopy_policy(const MigrationGoals& goals) {
    return std::make_unique<LabPolicy>(goals);
}

}  // namespace ptv::lab::migration
