// PreCopyPolicy, the one pre-copy stop decision (sim/migration/policy): each
// rule of each preset, and the order in which they are tried.
#include <doctest/doctest.h>

#include "ptv/common/error.hpp"
#include "ptv/migration/precopy_policy.hpp"

using ptv::migration::PreCopyPolicy;
using ptv::migration::RoundStats;
using D = PreCopyPolicy::Decision;

namespace {

// A round of a 1000-page guest on a 1000 pages/s link (4096000 B/s).
RoundStats round(uint32_t n, uint64_t dirty, uint64_t total) {
    return {.round = n,
            .pages_sent = 100,
            .pages_dirty = dirty,
            .duration_s = 0.1,
            .total_pages_sent = total,
            .memory_pages = 1000,
            .bandwidth_bytes_per_s = 4096000};
}

}  // namespace

TEST_CASE("policy: Xen's presets") {
    auto xen = PreCopyPolicy::xen();
    CHECK(xen.name() == "xen");
    CHECK(xen.conditions().max_rounds == 30);
    CHECK(xen.conditions().max_sent_factor == 3.0);
    CHECK(xen.conditions().min_dirty_pages == 50);
    CHECK(xen.conditions().downtime_limit_s == 0);
    auto qemu = PreCopyPolicy::qemu();
    CHECK(qemu.conditions().downtime_limit_s == 0.3);
    CHECK(qemu.conditions().max_rounds == 30);
    CHECK(PreCopyPolicy::qemu(0.05).conditions().downtime_limit_s == 0.05);
    CHECK(PreCopyPolicy::named("qemu").name() == "qemu");
    CHECK_THROWS_AS(PreCopyPolicy::named("kvm"), ptv::UsageError);
}

TEST_CASE("policy: each Xen rule fires alone") {
    auto p = PreCopyPolicy::xen();
    CHECK(p.after_round(round(2, 50, 1100)) == D::Continue);  // 50 is not < 50
    CHECK(p.reason().empty());
    CHECK(p.after_round(round(2, 49, 1100)) == D::StopAndCopy);
    CHECK(p.reason() == "49 dirty pages < 50");
    CHECK(p.after_round(round(21, 100, 2999)) == D::Continue);
    CHECK(p.after_round(round(21, 100, 3000)) == D::StopAndCopy);
    CHECK(p.reason() == "3000 pages sent >= 3x memory");
    CHECK(p.after_round(round(29, 100, 2000)) == D::Continue);
    CHECK(p.after_round(round(30, 100, 2000)) == D::StopAndCopy);
    CHECK(p.reason() == "30 rounds reached");
    // Xen has no downtime rule: 100 pages would take 100 ms, no matter.
    CHECK(p.after_round(round(3, 100, 1200)) == D::Continue);
}

TEST_CASE("policy: QEMU's downtime rule") {
    auto p = PreCopyPolicy::qemu();
    // 300 pages x 4096 B / 4096000 B/s = 300 ms <= 300 ms.
    CHECK(p.after_round(round(1, 300, 1000)) == D::StopAndCopy);
    CHECK(p.reason() == "300 dirty pages fit in 300.0 ms <= 300 ms downtime limit");
    CHECK(p.after_round(round(1, 301, 1000)) == D::Continue);
    // No bandwidth known yet: the rule cannot be applied.
    auto unknown = round(1, 0, 1000);
    unknown.bandwidth_bytes_per_s = 0;
    CHECK(p.after_round(unknown) == D::Continue);
    // No 3x cap in QEMU: 10x memory goes on, until the kit's 30-round cap.
    CHECK(p.after_round(round(5, 1000, 10000)) == D::Continue);
    CHECK(p.after_round(round(30, 1000, 30000)) == D::StopAndCopy);
    CHECK(p.reason() == "30 rounds reached");
}

TEST_CASE("policy: the order of the rules (convergence first, then the caps)") {
    auto p = PreCopyPolicy::xen();
    // All three Xen rules hold: the dirty-pages rule is named.
    CHECK(p.after_round(round(30, 10, 5000)) == D::StopAndCopy);
    CHECK(p.reason() == "10 dirty pages < 50");
    // 3x and 30 rounds: the 3x cap before the round cap.
    CHECK(p.after_round(round(30, 100, 5000)) == D::StopAndCopy);
    CHECK(p.reason() == "5000 pages sent >= 3x memory");
    // A policy with every rule: dirty pages, then downtime, then 3x, then rounds.
    PreCopyPolicy all(
        "all",
        {.max_rounds = 5, .max_sent_factor = 2, .min_dirty_pages = 10, .downtime_limit_s = 0.05});
    CHECK(all.after_round(round(5, 5, 3000)) == D::StopAndCopy);
    CHECK(all.reason() == "5 dirty pages < 10");
    CHECK(all.after_round(round(5, 40, 3000)) == D::StopAndCopy);
    CHECK(all.reason() == "40 dirty pages fit in 40.0 ms <= 50 ms downtime limit");
    CHECK(all.after_round(round(5, 60, 3000)) == D::StopAndCopy);
    CHECK(all.reason() == "3000 pages sent >= 2x memory");
    CHECK(all.after_round(round(5, 60, 1500)) == D::StopAndCopy);
    CHECK(all.reason() == "5 rounds reached");
    CHECK(all.after_round(round(4, 60, 1500)) == D::Continue);
    // Zero switches a rule off.
    PreCopyPolicy none("none", {});
    CHECK(none.after_round(round(1000, 0, 1000000)) == D::Continue);
}
