// Paravirtualization (Barham et al., "Xen and the Art of Virtualization",
// SOSP 2003): the guest kernel is changed to call the hypervisor instead of
// executing privileged instructions. Here a hypercall is an OUT to the PV
// doorbell port (ptv/portmap.h): the hypervisor recognises it as a
// deliberate call, without decoding and emulating a faulting instruction;
// a PV guest also keeps its interrupt flag in a shared-info page instead of
// executing CLI/STI, and sends whole messages through a ring instead of
// one UART register at a time. Anything unmodified still traps and is
// emulated, as under trap-and-emulate. As Xen on 32-bit x86, the guest
// kernel runs in ring 1, not 3: its IRET to ring 3 is then a real return to
// an outer ring, and kernel and user stay apart without the VMM.
#pragma once

#include "ptv/vmm/trap_and_emulate.hpp"

namespace ptv::vmm {

class Paravirt : public TrapAndEmulate {
  public:
    using TrapAndEmulate::TrapAndEmulate;
    std::string_view name() const override { return "paravirt"; }

  protected:
    uint8_t kernel_ring() const override { return 1; }
    void emulate(Cpu& cpu, const Event& e, const DecodedInstruction* insn) override;
};

}  // namespace ptv::vmm
