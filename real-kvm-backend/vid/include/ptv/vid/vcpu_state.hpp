// The whole architectural state of one vCPU, as KVM gives it out: what a
// snapshot saves and a restore (or a live migration's stop-and-copy) puts
// back into a fresh vCPU. Each part is the kernel's own struct, kept as is;
// sections() turns them into named byte strings for a file or a socket, and
// from_sections() checks each size on the way back (a file can lie).
//
// Restore order matters and is fixed in Vcpu::restore_state(): CPUID first
// (it decides which MSRs and XSAVE features exist), then SREGS (modes, EFER)
// before REGS, then FPU/XSAVE/XCRS, MSRs, debug registers, and the vCPU
// events (pending exceptions, interrupt shadow, NMI) last, as Firecracker's
// vstate does.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ptv::vid {

struct VcpuState {
    std::vector<kvm_cpuid_entry2> cpuid;
    kvm_sregs sregs{};
    kvm_regs regs{};
    kvm_fpu fpu{};
    std::vector<uint8_t> xsave;  // KVM_GET_XSAVE(2) area; empty if the host has none
    std::optional<kvm_xcrs> xcrs;
    std::vector<kvm_msr_entry> msrs;
    std::optional<kvm_debugregs> debugregs;
    std::optional<kvm_vcpu_events> events;

    using Sections = std::map<std::string, std::vector<uint8_t>>;
    Sections sections() const;
    // Throws std::invalid_argument naming the section that is missing or
    // has the wrong size.
    static VcpuState from_sections(const Sections& sections);
};

}  // namespace ptv::vid
