// PreCopyPolicy, the one pre-copy stop decision (sim/migration/policy): the
// factory, each rule of Xen's and QEMU's implementations, and the order in
// which each tries its rules.
#include <doctest/doctest.h>

#include "ptv/common/error.hpp"
#include "ptv/migration/precopy_policy.hpp"
#include "ptv/migration/precopy_rules.hpp"
#include "ptv/migration/qemu_policy.hpp"
#include "ptv/migration/xen_policy.hpp"

using ptv::migration::make_precopy_policy;
using ptv::migration::PreCopyPolicy;
using ptv::migration::QemuPolicy;
using ptv::migration::RoundStats;
using ptv::migration::XenPolicy;
using D = PreCopyPolicy::Decision;
namespace rules = ptv::migration::rules;

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

TEST_CASE("policy: Xen's and QEMU's numbers, and the factory") {
    CHECK(XenPolicy::kMaxRounds == 30);
    CHECK(XenPolicy::kMaxSentFactor == 3.0);
    CHECK(XenPolicy::kMinDirtyPages == 50);
    CHECK(QemuPolicy::kMaxRounds == 30);
    CHECK(QemuPolicy().downtime_limit_s() == 0.3);
    CHECK(QemuPolicy(0.05).downtime_limit_s() == 0.05);

    auto xen = make_precopy_policy("xen");
    CHECK(xen->name() == "xen");
    CHECK(dynamic_cast<XenPolicy*>(xen.get()) != nullptr);
    CHECK(xen->describe() ==
          "Xen's rules: stop after 30 rounds, once 3x memory is sent, or when fewer than 50 "
          "pages are dirty");
    auto qemu = make_precopy_policy("qemu");
    CHECK(qemu->name() == "qemu");
    CHECK(qemu->describe() ==
          "QEMU's rule: stop when the dirty pages can be sent within the downtime limit of 300 "
          "ms (or after 30 rounds)");
    auto fast = make_precopy_policy("qemu", 0.05);
    auto* q = dynamic_cast<QemuPolicy*>(fast.get());
    REQUIRE(q != nullptr);
    CHECK(q->downtime_limit_s() == 0.05);
    CHECK_THROWS_AS(make_precopy_policy("kvm"), ptv::UsageError);
    CHECK_THROWS_WITH(make_precopy_policy("kvm"), "unknown pre-copy policy 'kvm': use xen or qemu");
}

TEST_CASE("policy: each Xen rule fires alone") {
    XenPolicy p;
    CHECK(p.after_round(round(2, 50, 1100)) == D::Continue);  // 50 is not < 50
    CHECK(p.reason().empty());
    CHECK(p.after_round(round(2, 49, 1100)) == D::StopAndCopy);
    CHECK(p.reason() == "49 dirty pages < 50");
    CHECK(p.after_round(round(21, 100, 2999)) == D::Continue);
    CHECK(p.after_round(round(21, 100, 3000)) == D::StopAndCopy);
    CHECK(p.reason() == "3000 pages sent >= 3x memory");
    CHECK(p.after_round(round(29, 100, 2000)) == D::Continue);
    CHECK(p.reason().empty());
    CHECK(p.after_round(round(30, 100, 2000)) == D::StopAndCopy);
    CHECK(p.reason() == "30 rounds reached");
    // Xen has no downtime rule: 100 pages would take 100 ms, no matter.
    CHECK(p.after_round(round(3, 100, 1200)) == D::Continue);
}

TEST_CASE("policy: QEMU's downtime rule") {
    QemuPolicy p;
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
    // A limit of 0 switches the downtime rule off, even for 0 dirty pages.
    QemuPolicy off(0);
    CHECK(off.after_round(round(1, 0, 1000)) == D::Continue);
    CHECK(off.after_round(round(30, 0, 1000)) == D::StopAndCopy);
    CHECK(off.reason() == "30 rounds reached");
}

TEST_CASE("policy: the order of the rules (convergence first, then the caps)") {
    XenPolicy p;
    // All three Xen rules hold: the dirty-pages rule is named.
    CHECK(p.after_round(round(30, 10, 5000)) == D::StopAndCopy);
    CHECK(p.reason() == "10 dirty pages < 50");
    // 3x and 30 rounds: the 3x cap before the round cap.
    CHECK(p.after_round(round(30, 100, 5000)) == D::StopAndCopy);
    CHECK(p.reason() == "5000 pages sent >= 3x memory");
    // QEMU: both rules hold, the downtime rule is named.
    QemuPolicy q(0.05);
    CHECK(q.after_round(round(30, 40, 3000)) == D::StopAndCopy);
    CHECK(q.reason() == "40 dirty pages fit in 40.0 ms <= 50 ms downtime limit");
}

TEST_CASE("policy: the rules one by one, at their boundaries") {
    CHECK(rules::few_dirty_pages(round(5, 5, 3000), 10) == "5 dirty pages < 10");
    CHECK_FALSE(rules::few_dirty_pages(round(5, 10, 3000), 10));
    CHECK(rules::fits_downtime(round(5, 50, 3000), 0.05) ==
          "50 dirty pages fit in 50.0 ms <= 50 ms downtime limit");
    CHECK_FALSE(rules::fits_downtime(round(5, 51, 3000), 0.05));
    CHECK(rules::sent_too_much(round(5, 60, 2000), 2) == "2000 pages sent >= 2x memory");
    CHECK_FALSE(rules::sent_too_much(round(5, 60, 1999), 2));
    CHECK(rules::rounds_reached(round(5, 60, 1500), 5) == "5 rounds reached");
    CHECK_FALSE(rules::rounds_reached(round(4, 60, 1500), 5));
}
