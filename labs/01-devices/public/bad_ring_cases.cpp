// Part 3, robustness: the guest hands the PV device a ring it must not
// trust. Each case runs a good batch first, then the bad ring; the device
// must stop the VM with a device error at that doorbell and leave the disk
// as the good batch left it. Graded in the asan build: reading outside the
// guest's RAM is caught there even when it happens not to crash.
#include "harness/check.hpp"
#include "harness/runner.hpp"

namespace ptv::lab::devices {
namespace {

using R = Request;
using K = BadRing::Kind;

void bad_ring(Context& ctx, BadRing bad) {
    run_and_check(ctx, Which::Pv, Script().batch({R::write(3, 1, 11), R::read(3, 1)}).bad(bad), {},
                  "a good batch, then a bad ring: " + bad.what());
}

constexpr uint32_t kRamBytes = kGuestMemoryMib << 20;

}  // namespace

PTV_LAB_CASE("pv-bad-ahead") {
    bad_ring(ctx, {K::Ahead, 1});
}

PTV_LAB_CASE("pv-bad-buffer") {
    bad_ring(ctx, {K::Buffer, 0xf0000000u, 1});
}

PTV_LAB_CASE("pv-bad-buffer-end") {
    bad_ring(ctx, {K::WriteBuffer, kRamBytes - 512, 2});  // the device would read past RAM
}

PTV_LAB_CASE("pv-bad-count") {
    bad_ring(ctx, {K::Count, 0});
}

PTV_LAB_CASE("pv-bad-ring-address") {
    bad_ring(ctx, {K::Ring, 0x40000000u});
}

PTV_LAB_CASE("pv-bad-magic") {
    bad_ring(ctx, {K::Magic});
}

PTV_LAB_CASE("pv-bad-size") {
    bad_ring(ctx, {K::Size, 12});
}

}  // namespace ptv::lab::devices
