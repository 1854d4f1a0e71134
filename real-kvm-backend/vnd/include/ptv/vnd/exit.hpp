// A VM exit as the notification dispatcher sees it: a plain description with
// no KVM types, so that the real backend (from kvm_run) and the simulator's
// VMX model can both produce it (docs/DESIGN.md, "The one idea").
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ptv::vnd {

// Why the guest stopped running. Names follow KVM's exit reasons, which
// follow the Intel SDM's basic exit reasons (Appendix C).
enum class ExitReason : uint8_t {
    PortIo,         // IN/OUT (SDM: "I/O instruction")
    Mmio,           // access to guest-physical memory no RAM backs (EPT violation)
    Hlt,            // HLT
    Shutdown,       // triple fault
    InternalError,  // KVM could not handle it (e.g. emulation failure)
    FailEntry,      // VM entry failed (invalid guest state)
    Interrupted,    // the vCPU was kicked out of the guest (watchdog, stop)
    Unknown,        // anything else KVM reports
    kCount
};

std::string_view reason_name(ExitReason reason);

// InternalError's hardware_reason values (KVM's suberrors, linux/kvm.h).
enum InternalSuberror : uint64_t {
    kEmulationFailure = 1,       // KVM_INTERNAL_ERROR_EMULATION
    kSimultaneousException = 2,  // KVM_INTERNAL_ERROR_SIMUL_EX
    kDeliveryEventFailure = 3,   // KVM_INTERNAL_ERROR_DELIVERY_EV
};

struct Exit {
    ExitReason reason = ExitReason::Unknown;
    bool is_write = false;
    uint8_t size = 0;                 // bytes per access (PortIo, Mmio)
    uint32_t count = 1;               // repetitions of a string I/O instruction (rep outsb)
    uint64_t address = 0;             // port number or guest-physical address
    uint8_t* data = nullptr;          // size * count bytes; a read fills them in
    bool interrupts_enabled = false;  // EFLAGS.IF, for HLT
    uint64_t hardware_reason = 0;     // InternalError suberror, FailEntry reason, Unknown code
    uint64_t t_exit_ns = 0;           // when the vCPU left the guest (ptv::now_ns)
    uint8_t vcpu = 0;                 // which vCPU left it
    // Shutdown only: the host put the vCPU back in its INIT state before
    // reporting the exit, so RIP and the registers are not where the guest
    // faulted. AMD's SVM leaves the VMCB undefined after a shutdown and KVM
    // re-initializes it (arch/x86/kvm/svm/svm.c, shutdown_interception);
    // Intel's VMX and kvm_pvm keep the guest's registers.
    bool vcpu_reset = false;

    // Filled when tracing, or when the exit policy asks (guest_code.hpp):
    // where the guest was, and the code around it, so the trace and the
    // outcome's message can name the instruction that caused the exit.
    uint64_t rip = 0;
    uint8_t cpu_mode = 1;  // ptv::CpuMode: 0 real, 1 protected 32-bit, 2 long 64-bit
    bool has_code = false;
    uint8_t code_len = 0;         // valid bytes in code
    uint8_t code_rip_offset = 0;  // index of the byte at rip in code
    std::array<uint8_t, 32> code{};
};

}  // namespace ptv::vnd
