// --cpus is checked before KVM is opened, so a mistake costs one line and
// status 2 even on a host without /dev/kvm; several vCPUs with a snapshot
// (which holds one) are refused the same way.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>

#include "../support/process.hpp"

using namespace ptv;

namespace {

void check_one_line(const test::Completed& r, const std::string& line) {
    CHECK(r.status == 2);
    CHECK(r.err == line + "\n");
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("ptv kvm run --cpus outside 1..8: one line, status 2") {
    for (const char* bad : {"0", "99", "9", "-1"}) {
        CAPTURE(bad);
        check_one_line(test::run({test::bin("ptv"), "kvm", "run", "smp", "--cpus", bad}),
                       fmt::format("ptv: --cpus {} is out of range; give 1 to 8 vCPUs", bad));
    }
    auto word = test::run({test::bin("ptv"), "kvm", "run", "smp", "--cpus", "two"});
    CHECK(word.status == 2);
    CHECK(std::count(word.err.begin(), word.err.end(), '\n') == 1);
}

TEST_CASE("ptv-vmwp: several vCPUs from a snapshot are refused before anything is read") {
    check_one_line(
        test::run({test::bin("ptv-vmwp"), "--cpus", "2", "--restore", "/nonexistent/snapshot"}),
        "ptv-vmwp: --cpus 2 cannot be used with --restore: snapshots and migrations hold one "
        "vCPU; drop --cpus");
    check_one_line(test::run({test::bin("ptv-vmwp"), test::guest("smp"), "--cpus", "0"}),
                   "ptv-vmwp: --cpus 0 is out of range; give 1 to 8 vCPUs");
}
