// GuestConfig::extra_devices: a device beyond the registry's, plugged into
// the CPU model's machine, is reached by the guest like any other (the
// labs plug the student's devices in this way).
#include <doctest/doctest.h>

#include "guests.hpp"
#include "unsupporting_block_device.hpp"

using namespace ptv;

namespace {

vmm::RunResult run_disk_pv(std::vector<devices::DeviceEntry> extra) {
    vmm::RunOptions o;
    o.guest.image_path = test::guest("disk-pv");
    o.guest.name = "disk-pv";
    o.guest.cmdline = test::kUnsupportedScript;
    o.guest.extra_devices = std::move(extra);
    o.technique = "vmx";
    o.max_instructions = 10'000'000;
    return vmm::run_guest(o);
}

}  // namespace

TEST_CASE("a device in GuestConfig::extra_devices answers the guest's doorbell") {
    int doorbells = 0;
    const auto r = run_disk_pv({test::UnsupportingBlockDevice::entry(doorbells)});
    CHECK(r.outcome == "guest-exit");
    CHECK(r.output == test::kUnsupportedOutput);
    CHECK(doorbells == 1);
}

TEST_CASE("without the extra device the doorbell is unclaimed and the guest says so") {
    const auto r = run_disk_pv({});
    CHECK(r.outcome == "guest-failure");
    CHECK(r.output == "doorbell 1: tail 0x00000000, head 0x00000002: the batch was not taken\n");
}
