// A sensitive or privileged guest kernel instruction that binary
// translation copied unchanged, run as the real processor runs it in the
// deprivileged guest kernel (ring 1, as under VMware's VMM; Adams & Agesen
// 2006, section 3): what the guest sees then is the real machine's state,
// not its virtual CPU's. Robin & Irvine (2000) list the instructions; see
// run_deprivileged() in binary_translation.hpp.
#include <Zydis/Zydis.h>

#include "ptv/vmm/binary_translation.hpp"

namespace ptv::vmm {

namespace {

constexpr uint32_t kRing1 = 1;  // the RPL the deprivileged kernel's selectors carry
// The real CR0 under the VMM: paging on (PG), native FPU errors (NE), MP.
constexpr uint32_t kRealCr0Bits = 0x80000000u | 0x20u | 0x2u;
// The VMM's own GDT and IDT, in the top 4 MiB it keeps for itself.
constexpr uint32_t kVmmGdtBase = 0xffc00000u, kVmmIdtBase = 0xffc01000u;

bool faults_in_ring1(ZydisMnemonic m, const DecodedInstruction& in) {
    if (in.privileged || in.io || in.far) return true;  // CPL 1 > 0; IOPL 0 < CPL 1
    switch (m) {
        case ZYDIS_MNEMONIC_CLI:
        case ZYDIS_MNEMONIC_STI:  // IOPL-sensitive
        case ZYDIS_MNEMONIC_INT:  // through the guest's DPL 0 gates
        case ZYDIS_MNEMONIC_INT3:
        case ZYDIS_MNEMONIC_IRET:  // a return to ring 0 from ring 1
        case ZYDIS_MNEMONIC_IRETD:
            return true;
        default:
            return false;
    }
}

bool reads_cs_or_ss(const Operand& o) {
    return o.kind == Operand::Kind::Reg && o.reg_class == Operand::RegClass::Sreg &&
           (o.reg == CS || o.reg == SS);
}

}  // namespace

void run_deprivileged(Cpu& cpu, const DecodedInstruction& in) {
    cpu.settle_flags();
    CpuState& s = cpu.state();
    const auto m = ZydisMnemonic(in.mnemonic);
    if (faults_in_ring1(m, in)) {
        cpu.deliver_with_nesting(
            Event{Event::Kind::Exception, 13, true, 0, s.eip, s.eip});  // #GP(0)
        return;
    }
    const uint32_t kept = s.eflags & (flags::IF | flags::IOPL);
    const uint16_t cs = s.seg[CS].selector, ss = s.seg[SS].selector;
    const uint32_t next = s.eip + in.length;
    cpu.step();
    if (cpu.stopped() || s.eip != next) return;  // it faulted: nothing more to show
    const uint32_t top = s.seg[SS].base + s.gpr[ESP];
    switch (m) {
        case ZYDIS_MNEMONIC_PUSHF:
        case ZYDIS_MNEMONIC_PUSHFD: {  // the real IF (the VMM's: on) and IOPL 0
            const uint32_t v = cpu.read_linear(top, in.operand_size);
            cpu.write_linear(top, in.operand_size, (v | flags::IF) & ~flags::IOPL);
            break;
        }
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_POPFD:  // CPL 1 > IOPL 0: IF and IOPL silently kept
            s.eflags = (s.eflags & ~(flags::IF | flags::IOPL)) | kept;
            break;
        case ZYDIS_MNEMONIC_SGDT:
        case ZYDIS_MNEMONIC_SIDT:
            cpu.write_linear(cpu.linear_address(in.op[0]) + 2, 4,
                             m == ZYDIS_MNEMONIC_SGDT ? kVmmGdtBase : kVmmIdtBase);
            break;
        case ZYDIS_MNEMONIC_SMSW: {
            const uint32_t cr0 = s.cr0 | kRealCr0Bits;
            cpu.write_operand(in, in.op[0], in.op[0].size == 4 ? cr0 : cr0 & 0xffff);
            break;
        }
        case ZYDIS_MNEMONIC_MOV:
            if (reads_cs_or_ss(in.op[1]))
                cpu.write_operand(in, in.op[0], ((in.op[1].reg == CS ? cs : ss) & ~3u) | kRing1);
            break;
        case ZYDIS_MNEMONIC_PUSH:
            if (reads_cs_or_ss(in.op[0]))
                cpu.write_linear(top, in.operand_size,
                                 ((in.op[0].reg == CS ? cs : ss) & ~3u) | kRing1);
            break;
        default:  // the rest behave as on the bare machine
            break;
    }
}

}  // namespace ptv::vmm
