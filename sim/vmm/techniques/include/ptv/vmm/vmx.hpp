// The VMX model (Intel VT-x, SDM vol. 3 ch. 23-28): the guest runs in VMX
// non-root operation at its own CPL 0, so every instruction, sensitive or
// not, behaves as on the bare machine; what the VMM must see leaves
// non-root operation as a VM exit, decided by the VMCS's execution
// controls, and is handled in root operation before VMRESUME. Exits go to
// the same notification dispatcher (vnd/) and devices the KVM worker uses,
// so a trace of this model has the shape of a KVM run's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/vmm/technique.hpp"

namespace ptv::vmm {

// Basic exit reasons (SDM vol. 3, appendix C).
namespace exit_reason {
constexpr uint16_t ExceptionOrNmi = 0, ExternalInterrupt = 1, TripleFault = 2, Cpuid = 10, Hlt = 12,
                   CrAccess = 28, IoInstruction = 30, Rdmsr = 31, Wrmsr = 32, EptViolation = 48;
const char* name(uint16_t reason);
}  // namespace exit_reason

// The VMCS fields this model uses, by their SDM names.
struct Vmcs {
    // VM-execution control fields (SDM 24.6).
    uint32_t pin_based_controls = 1u << 0;  // external-interrupt exiting
    uint32_t primary_processor_controls =
        (1u << 7)                   // HLT exiting
        | (1u << 15)                // CR3-load exiting
        | (1u << 16)                // CR3-store exiting
        | (1u << 24);               // unconditional I/O exiting (no I/O bitmaps: every port exits)
    uint32_t exception_bitmap = 0;  // no guest exception leaves the guest
    uint64_t io_bitmap_a = 0, io_bitmap_b = 0;  // unused: "use I/O bitmaps" is 0
    uint32_t cr0_guest_host_mask = 0x80000001;  // PG and PE belong to the host
    uint32_t cr0_read_shadow = 0;
    uint32_t cr4_guest_host_mask = 0x00002000;  // VMXE
    uint32_t cr4_read_shadow = 0;
    // Guest-state area (SDM 24.4), loaded at VM entry and saved at VM exit.
    CpuState guest;
    // Host-state area (SDM 24.5): where the processor goes on an exit.
    uint32_t host_cr0 = 0x80050033, host_cr3 = 0x1000, host_cr4 = 0x2020;
    std::string host_rip = "vmx_exit_handler";
    // VM-exit information fields (SDM 24.9), of the latest exit.
    uint16_t exit_reason = 0;
    uint64_t exit_qualification = 0;
    uint32_t exit_instruction_length = 0;
    uint64_t guest_physical_address = 0;
    uint32_t exit_interruption_information = 0;

    bool hlt_exiting() const { return primary_processor_controls & (1u << 7); }
    bool cr3_load_exiting() const { return primary_processor_controls & (1u << 15); }
    bool unconditional_io_exiting() const { return primary_processor_controls & (1u << 24); }
};

struct VmExitRecord {
    uint16_t reason;
    uint64_t qualification;
    uint32_t rip;
    uint32_t instruction_length;
    uint64_t guest_physical_address;
    std::string instruction;
};

class VmxModel : public Technique {
  public:
    using Technique::Technique;
    std::string_view name() const override { return "vmx"; }
    void start(Cpu& cpu) override;
    nlohmann::json details() const override;

    bool intercept(Cpu& cpu, const DecodedInstruction& insn) override;
    bool on_event(Cpu& cpu, const Event& e) override;
    uint32_t mmio_read(Cpu& cpu, uint32_t address, uint8_t size) override;
    void mmio_write(Cpu& cpu, uint32_t address, uint8_t size, uint32_t value) override;
    // The CPU's run; a triple fault ends it as a VM exit (a shutdown).
    Stop run(Cpu& cpu, uint64_t budget) override;

    const Vmcs& vmcs() const { return vmcs_; }
    const std::vector<VmExitRecord>& exit_log() const { return log_; }
    uint64_t entries() const { return entries_; }

  private:
    void vm_exit(Cpu& cpu, uint16_t reason, uint64_t qualification, uint32_t length,
                 uint64_t gpa = 0);
    Vmcs vmcs_;
    std::vector<VmExitRecord> log_;
    uint64_t entries_ = 0;
};

}  // namespace ptv::vmm
