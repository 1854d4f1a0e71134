#include "bare_loop.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/portmap.h"
#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/worker/boot.hpp"

namespace ptv::bench {

namespace {

// The worker's default guest RAM (WorkerConfig::memory_mib), so both VMs
// are the same size.
constexpr size_t kMemoryBytes = size_t(64) << 20;

}  // namespace

ExitRun run_bare_loop(const std::string& image_path, uint32_t n) {
    // Built the way WorkerProcess builds its VM, minus the motherboard.
    const std::vector<uint8_t> file = vmb::read_image_file(image_path);
    const vmb::MultibootImage image = vmb::parse_multiboot(file, image_path);
    vid::Kvm kvm;
    vid::Vm vm(kvm);
    vid::GuestMemory memory(kMemoryBytes);
    vmb::load_multiboot(image, file, memory.span(), image_path);
    vmb::write_boot_area(memory.span(), std::to_string(n));
    vm.map_memory(0, 0, memory);
    vid::Vcpu vcpu(vm, 0);
    vcpu.set_cpuid(kvm.supported_cpuid());
    worker::enter_protected_mode(vcpu, image.entry);

    // The loop itself: enter, check, enter again. An OUT needs nothing from
    // us to complete; KVM finishes it on the next entry.
    const kvm_run* run = vcpu.kvm_run_page();
    ExitRun result;
    const uint64_t t_start = now_ns();
    for (;;) {
        if (vcpu.enter() == vid::Vcpu::RunStatus::Kicked) continue;
        if (run->exit_reason != KVM_EXIT_IO) [[unlikely]] {
            if (run->exit_reason == KVM_EXIT_INTR) continue;
            throw std::runtime_error(fmt::format(
                "bare loop: exit reason {} after {} port I/O exits; '{}' is not pio-loop?",
                run->exit_reason, result.exits, image_path));
        }
        ++result.exits;
        if (run->io.port == PTV_DEBUG_EXIT_PORT) break;
    }
    result.run_ns = now_ns() - t_start;
    return result;
}

}  // namespace ptv::bench
