#include "ptv/vmm/paravirt.hpp"

#include "ptv/portmap.h"
#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

void Paravirt::emulate(Cpu& cpu, const Event& e, const DecodedInstruction* insn) {
    const bool doorbell = insn && insn->mnemonic == ZYDIS_MNEMONIC_OUT &&
                          (insn->op[0].kind == Operand::Kind::Imm
                               ? insn->op[0].imm
                               : cpu.state().gpr[EDX] & 0xffff) == PTV_PVCON_DOORBELL_PORT;
    if (!doorbell) return TrapAndEmulate::emulate(cpu, e, insn);
    // A hypercall: the arguments are in the ring the doorbell names; the
    // hypervisor does the work without emulating an instruction.
    ++counters_.hypercalls;
    counters_.cycles += cost::kHypercall;
    note({"hypercall", "pv-console doorbell", e.eip, "", cpu.counters().instructions, nullptr});
    emulate_step(cpu);
}

}  // namespace ptv::vmm
