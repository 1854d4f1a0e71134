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
    if (v.cpl == 0)
        bare = popped & kVirtual;
    else if (v.cpl <= (v.eflags & eflags::IOPL) >> eflags::kIoplShift)
        bare = (bare & ~eflags::IF) | (popped & eflags::IF);
    // Repair the virtual CPU quietly: the guest goes on as if POPF had trapped.
    vcpu.virt().eflags = (v.eflags & ~kVirtual) | bare;
    (void)insn;
}

}  // namespace ptv::lab::trap
