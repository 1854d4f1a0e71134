// Part 1: when to stop pre-copying (README.md, part 1).
//
// Clark et al. (NSDI 2005) send all memory while the guest runs, then in
// rounds what it dirtied meanwhile, and pause it for a last stop-and-copy
// once another round would not pay. After every round the migrator calls
// after_round() with the round's numbers (RoundStats); your answer decides
// how long the guest is paused (the downtime) and how many pages cross.
#include <cstdio>

#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"

namespace ptv::lab::migration {

namespace {

class LabPolicy final : public PreCopyPolicy {
  public:
    explicit LabPolicy(const MigrationGoals& goals) : goals_(goals) {}

    Decision after_round(const RoundStats& s) override {
        // More rounds always leave fewer pages dirty: go on to the cap.
        reason_.clear();
        if (s.round >= goals_.max_rounds) say("%u rounds reached", goals_.max_rounds);
        previous_dirty_ = s.pages_dirty;
        return reason_.empty() ? Decision::Continue : Decision::StopAndCopy;
    }
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "lab"; }
    std::string describe() const override {
        char text[160];
        std::snprintf(text, sizeof text,
                      "stop when the dirty pages fit in %g ms, when the dirty set stops "
                      "shrinking, or after %u rounds",
                      goals_.downtime_limit_s * 1e3, goals_.max_rounds);
        return text;
    }

  private:
    // reason_ = the formatted text.
    template <class... Args>
    void say(const char* format, Args... args) {
        char text[160];
        std::snprintf(text, sizeof text, format, args...);
        reason_ = text;
    }

    MigrationGoals goals_;
    uint64_t previous_dirty_ = 0;
    std::string reason_;
};

}  // namespace

std::unique_ptr<PreCopyPolicy> make_lab_precopy_policy(const MigrationGoals& goals) {
    return std::make_unique<LabPolicy>(goals);
}

}  // namespace ptv::lab::migration
