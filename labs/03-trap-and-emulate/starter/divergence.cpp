// Part 4: POPF, sensitive but not privileged (README.md). It never traps
// in ring 3; the VMM sees it only afterwards, and can only report where
// the guest now believes something the bare machine would not have shown
// it.
#include "ptv/lab/harness.hpp"
#include "ptv/lab/trap/handlers.hpp"

namespace ptv::lab::trap {

void check_popf(Vcpu& vcpu, const Instruction& insn, uint32_t popped) {
    // TODO(L3): what would POPF have done to the virtual IF and IOPL on the
    // bare machine (at the virtual CPL and IOPL)? Where the virtual CPU
    // differs, vcpu.report_divergence(insn, "...").
    (void)vcpu, (void)insn, (void)popped;
    throw NotImplemented("check_popf (TODO(L3) in divergence.cpp)");
}

}  // namespace ptv::lab::trap
