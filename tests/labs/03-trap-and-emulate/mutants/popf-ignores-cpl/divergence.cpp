// Part 4: POPF, sensitive but not privileged (Robin & Irvine 2000). It
// never traps in ring 3: the real processor silently keeps IF and IOPL.
// The VMM can only compare, afterwards, what the bare machine would have
// done to the virtual CPU with what the virtual CPU still says, and report
// the difference: no handler ever ran to fix it.
#include <string>

#include "ptv/lab/harness.hpp"
#include "ptv/lab/trap/handlers.hpp"

namespace ptv::lab::trap {

namespace {

std::string flags_text(uint32_t f) {
    return "IF=" + std::to_string((f & eflags::IF) ? 1 : 0) +
           " IOPL=" + std::to_string((f & eflags::IOPL) >> eflags::kIoplShift);
}

}  // namespace

void check_popf(Vcpu& vcpu, const Instruction& insn, uint32_t popped) {
    const VirtualRegisters& v = vcpu.virt();
    constexpr uint32_t kVirtual = eflags::IF | eflags::IOPL;
    // POPF on the bare machine: IOPL at CPL 0 only, IF when CPL <= IOPL.
    uint32_t bare = v.eflags & kVirtual;
    bare = popped & kVirtual;
    if (bare == (v.eflags & kVirtual)) return;
    vcpu.report_divergence(insn, insn.text + " would set " + flags_text(bare) +
                                     " on the bare machine; in ring 3 it did not trap and the "
                                     "virtual CPU keeps " +
                                     flags_text(v.eflags));
}

}  // namespace ptv::lab::trap
