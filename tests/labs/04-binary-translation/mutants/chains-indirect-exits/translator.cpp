// Lab 04: the translator's three decisions.
#include <set>
#include <string>

#include "ptv/lab/bt/translator.hpp"

namespace ptv::lab::bt {

Translation classify(const Instruction& insn) {
    const std::string m = insn.mnemonic();
    if (insn.sensitive()) {
        // Reads of state the VMM virtualises: inline code reads the virtual
        // CPU instead (the guest must see CPL 0 and its own tables).
        static const std::set<std::string> reads = {"sgdt", "sidt", "sldt", "str", "smsw",
                                                    "lar",  "lsl",  "verr", "verw"};
        if (reads.count(m)) return Translation::Inline;
        if (m == "push") return Translation::Inline;  // PUSH sreg
        // MOV r/m, sreg reads one; MOV sreg, r/m loads one (the VMM's job).
        if (m == "mov")
            return insn.operand(0) == OperandKind::SegmentRegister ? Translation::Callout
                                                                   : Translation::Inline;
        return Translation::Callout;  // PUSHF, POPF, POP sreg, INT n, IRET, far transfers
    }
    // Privileged, I/O, IOPL-sensitive, CPUID and the fast system calls.
    if (insn.privileged() || insn.io() || insn.far() || m == "cli" || m == "sti" || m == "cpuid" ||
        m == "sysenter" || m == "sysexit")
        return Translation::Callout;
    // Near control transfers are rewritten to stay inside the cache.
    if (insn.control_transfer()) return Translation::Inline;
    return Translation::Identity;
}

void chain(Unit from, Exit exit, Unit to) {
    // Only a successor known at translation time can be patched in: an
    // indirect exit may go somewhere else next time.
    // Wherever this exit went, it goes there again.
    from.chain(exit.slot, to);
}

void invalidate(Cache& cache, CodeWrite write) {
    // Every unit whose guest bytes the write touched, wherever it starts.
    for (Unit u : cache.units_overlapping(write.first, write.last)) u.invalidate();
}

}  // namespace ptv::lab::bt
