// vid/ on its own: a VM built from the KVM wrapper and the loader, without
// the worker -- dirty-page logging (what live migration's rounds read) and
// the error path of a device that is not KVM.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cstring>

#include "../support/process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/portmap.h"
#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/worker/boot.hpp"

using namespace ptv;

TEST_CASE("the dirty log shows exactly the pages the guest wrote, then starts afresh") {
    vid::Kvm kvm;
    vid::Vm vm(kvm);
    vid::GuestMemory ram(8u << 20);
    auto file = vmb::read_image_file(test::guest("hello"));
    auto image = vmb::parse_multiboot(file, "hello");
    vmb::load_multiboot(image, file, ram.span(), "hello");
    vmb::write_boot_area(ram.span(), "");
    vm.map_memory(0, 0, ram, /*dirty_log=*/true);
    vid::Vcpu vcpu(vm, 0);
    vcpu.set_cpuid(kvm.supported_cpuid());
    worker::enter_protected_mode(vcpu, image.entry);

    // A minimal run loop: every port read answers "transmitter empty".
    int exits = 0;
    for (;;) {
        const vnd::Exit e = vcpu.run();
        REQUIRE(e.reason != vnd::ExitReason::Interrupted);
        ++exits;
        if (e.reason == vnd::ExitReason::Hlt) break;
        REQUIRE(e.reason == vnd::ExitReason::PortIo);
        CHECK(e.t_exit_ns > 0);
        if (!e.is_write) std::memset(e.data, 0x60, size_t(e.size) * e.count);
    }
    CHECK(exits == 62);  // the same count the worker reports for hello

    // hello writes nothing but its stack, the top of its .bss.
    const uint64_t stack_page = (image.highest - 4) / 4096;
    auto bitmap = vm.dirty_log(0);
    std::vector<uint64_t> dirty;
    for (size_t w = 0; w < bitmap.size(); ++w)
        for (int b = 0; b < 64; ++b)
            if (bitmap[w] >> b & 1) dirty.push_back(w * 64 + b);
    INFO("dirty pages: " << fmt::format("{}", fmt::join(dirty, " ")) << ", stack page "
                         << stack_page);
    CHECK(dirty == std::vector<uint64_t>{stack_page});

    // Reading the log clears it.
    auto again = vm.dirty_log(0);
    CHECK(std::all_of(again.begin(), again.end(), [](uint64_t w) { return w == 0; }));
    vm.set_dirty_logging(0, false);

    // Registers and segments round-trip through get/set.
    auto regs = vcpu.regs();
    regs.rax = 0x1234;
    vcpu.set_regs(regs);
    CHECK(vcpu.regs().rax == 0x1234);
    CHECK(vcpu.sregs().cs.selector == PTV_GDT_CODE_SEL);
}

TEST_CASE("a device that is not KVM is refused with one line that says so") {
    test::TempDir dir;
    std::string path = dir.file("kvm");
    setenv("PTV_KVM_DEVICE", "/dev/null", 1);
    try {
        vid::Kvm kvm;
        FAIL("/dev/null accepted as KVM");
    } catch (const vid::KvmUnavailable& e) {
        CHECK(std::string(e.what()).find("is it really a KVM device?") != std::string::npos);
    }
    setenv("PTV_KVM_DEVICE", path.c_str(), 1);
    CHECK_THROWS_AS(vid::Kvm(), UsageError);
    unsetenv("PTV_KVM_DEVICE");
}
