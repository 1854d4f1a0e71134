// VirtualMachine's extra devices: a device beyond the registry's, plugged
// into the KVM worker's machine, is reached by the guest like any other
// (the labs plug the student's devices in this way).
#include <doctest/doctest.h>

#include "process.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/worker/vcpu_loop.hpp"
#include "ptv/worker/virtual_machine.hpp"
#include "unsupporting_block_device.hpp"

using namespace ptv;

TEST_CASE("a device in VirtualMachine's extra devices answers the guest's doorbell") {
    int doorbells = 0;
    worker::ConsoleConfig console;
    console.sink = [](std::string_view) {};
    worker::VirtualMachine vm(64, {}, console, {test::UnsupportingBlockDevice::entry(doorbells)});
    vm.boot(vmb::read_image_file(test::guest("disk-pv")), "disk-pv", test::kUnsupportedScript,
            vm.kvm().supported_cpuid());
    worker::VcpuLoop loop(vm, 10);
    const vnd::Verdict v = loop.run();
    CHECK(v.outcome == Outcome::GuestExit);
    CHECK(vm.serial() == test::kUnsupportedOutput);
    CHECK(doorbells == 1);
}
