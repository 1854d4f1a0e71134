// When to stop pre-copying: the one pre-copy decision of the kit, used by
// both substrates. The migration simulator (sim/migration/sim) runs it on a
// modelled dirty-page process, the real migrator (real-kvm-backend/migration)
// on KVM's dirty log; both call after_round() at the end of every round.
//
// Clark et al., NSDI 2005, "Live Migration of Virtual Machines": pre-copy
// sends all memory, then in rounds what was dirtied meanwhile, and stops
// (stop-and-copy) when another round would not pay. The writable working
// set (WWS) is what each round cannot get rid of: once the dirty set has
// shrunk to it, more rounds only cost bandwidth. Real systems stop by rule:
// - Xen (xc_domain_save): at most 30 rounds, at most 3x memory sent in all,
//   or fewer than 50 dirty pages left;
// - QEMU (migration/ram.c): when the bytes still dirty could be sent within
//   the downtime limit at the bandwidth measured so far (300 ms default).
//   QEMU itself would go on forever on a guest that never converges; the
//   kit adds a round cap (max_rounds) so that every migration ends.
#pragma once

#include <cstdint>
#include <string>

namespace ptv::migration {

inline constexpr uint64_t kPageSize = 4096;

// What the migrator knows when a pre-copy round has ended.
struct RoundStats {
    uint32_t round = 0;             // 1-based: the round that just ended
    uint64_t pages_sent = 0;        // pages this round sent
    uint64_t pages_dirty = 0;       // pages dirtied since the round began (to send next)
    double duration_s = 0;          // how long the round took
    uint64_t total_pages_sent = 0;  // all rounds so far, this one included
    uint64_t memory_pages = 0;      // guest memory size in pages
    double bandwidth_bytes_per_s = 0;  // measured so far (0: unknown)
};

// The stop conditions; 0 switches a condition off.
struct StopConditions {
    uint32_t max_rounds = 0;         // stop after this many rounds
    double max_sent_factor = 0;      // stop once total sent >= factor x memory
    uint64_t min_dirty_pages = 0;    // stop when fewer pages than this are dirty
    double downtime_limit_s = 0;     // stop when the dirty pages fit in this downtime
};

class PreCopyPolicy {
  public:
    enum class Decision { Continue, StopAndCopy };

    PreCopyPolicy(std::string name, StopConditions conditions)
        : name_(std::move(name)), conditions_(conditions) {}

    // Xen's rules: 30 rounds, 3x memory, < 50 dirty pages.
    static PreCopyPolicy xen();
    // QEMU's rule: remaining bytes / bandwidth <= downtime limit (300 ms),
    // plus the kit's cap of 30 rounds.
    static PreCopyPolicy qemu(double downtime_limit_s = 0.3);
    // By name ("xen", "qemu"); throws ptv::UsageError for anything else.
    static PreCopyPolicy named(const std::string& name);

    // Called at the end of every round; StopAndCopy means: pause the guest
    // and send what is dirty now. reason() then says which rule fired.
    Decision after_round(const RoundStats& stats);
    const std::string& reason() const { return reason_; }
    const std::string& name() const { return name_; }
    const StopConditions& conditions() const { return conditions_; }

  private:
    std::string name_;
    StopConditions conditions_;
    std::string reason_;
};

}  // namespace ptv::migration
