// When to stop pre-copying: the one pre-copy decision of the kit, used by
// both substrates. The migration simulator (sim/migration/sim) runs it on a
// modelled dirty-page process, the real migrator (real-kvm-backend/migration)
// on KVM's dirty log; both call after_round() at the end of every round.
//
// Clark et al., NSDI 2005, "Live Migration of Virtual Machines": pre-copy
// sends all memory, then in rounds what was dirtied meanwhile, and stops
// (stop-and-copy) when another round would not pay. The writable working
// set (WWS) is what each round cannot get rid of: once the dirty set has
// shrunk to it, more rounds only cost bandwidth. Real systems stop by rule,
// and each rule set is one implementation of PreCopyPolicy: XenPolicy
// (xen_policy.hpp) and QemuPolicy (qemu_policy.hpp). A policy of one's own
// plugs in the same way, into the simulator and the real migrator alike.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ptv::migration {

inline constexpr uint64_t kPageSize = 4096;

// What the migrator knows when a pre-copy round has ended.
struct RoundStats {
    uint32_t round = 0;                // 1-based: the round that just ended
    uint64_t pages_sent = 0;           // pages this round sent
    uint64_t pages_dirty = 0;          // pages dirtied since the round began (to send next)
    double duration_s = 0;             // how long the round took
    uint64_t total_pages_sent = 0;     // all rounds so far, this one included
    uint64_t memory_pages = 0;         // guest memory size in pages
    double bandwidth_bytes_per_s = 0;  // measured so far (0: unknown)
};

class PreCopyPolicy {
  public:
    enum class Decision { Continue, StopAndCopy };

    virtual ~PreCopyPolicy() = default;

    // Called at the end of every round; StopAndCopy means: pause the guest
    // and send what is dirty now. reason() then says which rule fired (and
    // is empty after Continue).
    virtual Decision after_round(const RoundStats& stats) = 0;
    virtual const std::string& reason() const = 0;
    // A short name ("xen", "qemu") for reports and traces.
    virtual std::string name() const = 0;
    // The rules in one sentence, for the problem text of `ptv migrate sim`.
    virtual std::string describe() const = 0;
};

// QEMU's default downtime limit: 300 ms.
inline constexpr double kQemuDefaultDowntimeLimitS = 0.3;

// By name: "xen" (downtime_limit_s is not one of Xen's rules and is ignored)
// or "qemu"; throws ptv::UsageError for anything else.
std::unique_ptr<PreCopyPolicy> make_precopy_policy(
    const std::string& name, double downtime_limit_s = kQemuDefaultDowntimeLimitS);

}  // namespace ptv::migration
