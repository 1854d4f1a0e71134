// Parts 1-3: the VMM's trap handlers (README.md). Each emulates one class
// of privileged instruction on the virtual CPU, with the bare machine's
// checks (Intel SDM vol. 2, the instruction's "Operation"), and resumes the
// guest after it; where the bare machine would fault, the guest gets that
// fault instead.
#include "ptv/lab/harness.hpp"
#include "ptv/lab/trap/handlers.hpp"

namespace ptv::lab::trap {

namespace {

uint8_t iopl(const VirtualRegisters& v) {
    return uint8_t((v.eflags & eflags::IOPL) >> eflags::kIoplShift);
}

uint32_t read_operand(Vcpu& vcpu, const Operand& o) {
    switch (o.kind) {
        case Operand::Kind::Register:
            return vcpu.reg(o.reg, o.size);
        case Operand::Kind::Immediate:
            return o.value;
        case Operand::Kind::Memory:
            return vcpu.read(o.address, o.size);
        default:
            return 0;
    }
}

}  // namespace

// CLI and STI change IF when CPL <= IOPL; otherwise #GP(0). The virtual IF
// changes: the real one stays set, for the VMM's own interrupts.
void emulate_interrupt_flag(Vcpu& vcpu, const Instruction& insn) {
    VirtualRegisters& v = vcpu.virt();
    if (v.cpl > iopl(v)) return vcpu.raise(vector::GP, 0);
    if (insn.mnemonic == Mnemonic::Cli)
        v.eflags &= ~eflags::IF;
    else
        v.eflags |= eflags::IF;
    vcpu.retire(insn);
}

// HLT is privileged: #GP(0) unless CPL 0. The processor stops with EIP
// past it.
void emulate_halt(Vcpu& vcpu, const Instruction& insn) {
    if (vcpu.virt().cpl != 0) return vcpu.raise(vector::GP, 0);
    vcpu.retire(insn);
    vcpu.halt();
}

// IN acc, port and OUT port, acc: CPL <= IOPL (no I/O bitmap in the
// model), then the device access, the accumulator's size wide.
void emulate_port_io(Vcpu& vcpu, const Instruction& insn) {
    const VirtualRegisters& v = vcpu.virt();
    if (v.cpl > iopl(v)) return vcpu.raise(vector::GP, 0);
    if (insn.mnemonic == Mnemonic::In) {
        const Operand& acc = insn.op[0];
        const uint16_t port = uint16_t(read_operand(vcpu, insn.op[1]));
        vcpu.set_reg(acc.reg, vcpu.port_in(port, acc.size), acc.size);
    } else {
        const Operand& acc = insn.op[1];
        const uint16_t port = uint16_t(read_operand(vcpu, insn.op[0]));
        vcpu.port_out(port, acc.size, vcpu.reg(acc.reg, acc.size));
    }
    vcpu.retire(insn);
}

// MOV CRn, r32 and MOV r32, CRn: CPL 0 only. CR0.ET is hard-wired to 1;
// CR1 and CR5-7 do not exist (#UD).
void emulate_control_register(Vcpu& vcpu, const Instruction& insn) {
    VirtualRegisters& v = vcpu.virt();
    if (v.cpl != 0) return vcpu.raise(vector::GP, 0);
    const bool to_cr = insn.mnemonic == Mnemonic::MovToCr;
    const Operand& cr = insn.op[to_cr ? 0 : 1];
    const Operand& gpr = insn.op[to_cr ? 1 : 0];
    uint32_t* reg = nullptr;
    switch (cr.reg) {
        case 0:
            reg = &v.cr0;
            break;
        case 2:
            reg = &v.cr2;
            break;
        case 3:
            reg = &v.cr3;
            break;
        case 4:
            reg = &v.cr4;
            break;
        default:
            return vcpu.raise(vector::UD);
    }
    if (to_cr) {
        const uint32_t value = vcpu.reg(gpr.reg, 4);
        *reg = cr.reg == 0 ? value | cr0::ET : value;
    } else {
        vcpu.set_reg(gpr.reg, *reg, 4);
    }
    vcpu.retire(insn);
}

// LGDT, LIDT m16&32: a 16-bit limit, then a 32-bit base (24 bits with a
// 16-bit operand size). LTR r/m16: an available TSS in the GDT, which the
// processor marks busy.
void emulate_descriptor_table(Vcpu& vcpu, const Instruction& insn) {
    VirtualRegisters& v = vcpu.virt();
    if (v.cpl != 0) return vcpu.raise(vector::GP, 0);
    if (insn.mnemonic == Mnemonic::Lgdt || insn.mnemonic == Mnemonic::Lidt) {
        const uint32_t at = insn.op[0].address;
        TableRegister t{vcpu.read(at + 2, 4), uint16_t(vcpu.read(at, 2))};
        if (insn.operand_size == 2) t.base &= 0xffffff;
        (insn.mnemonic == Mnemonic::Lgdt ? v.gdtr : v.idtr) = t;
        return vcpu.retire(insn);
    }
    const uint16_t sel = uint16_t(read_operand(vcpu, insn.op[0]));
    const uint32_t err = sel & ~3u, offset = sel & ~7u;
    if (err == 0 || (sel & 4) || offset + 7 > v.gdtr.limit) return vcpu.raise(vector::GP, err);
    const uint32_t lo = vcpu.read(v.gdtr.base + offset, 4),
                   hi = vcpu.read(v.gdtr.base + offset + 4, 4);
    const uint8_t access = uint8_t(hi >> 8);
    if ((access & 0x1f) != 0x09) return vcpu.raise(vector::GP, err);  // available 32-bit TSS
    if (!(access & 0x80)) return vcpu.raise(vector::NP, err);
    vcpu.write(v.gdtr.base + offset + 5, 1, access | 0x02);  // busy
    v.tr.selector = sel;
    v.tr.base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000u);
    v.tr.limit = (lo & 0xffff) | (hi & 0xf0000u);
    if (hi & (1u << 23)) v.tr.limit = v.tr.limit << 12 | 0xfff;
    v.tr.access = access | 0x02;
    vcpu.retire(insn);
}

// IRET (no task return): EIP, CS, EFLAGS from the stack; to an outer ring
// also ESP and SS. A return to an inner ring is #GP(selector). EFLAGS: IOPL
// only at CPL 0, IF only when CPL <= IOPL (SDM vol. 2, IRET).
void emulate_iret(Vcpu& vcpu, const Instruction& insn) {
    VirtualRegisters& v = vcpu.virt();
    const uint8_t size = insn.operand_size;
    const uint32_t esp = vcpu.reg(ESP);
    const uint32_t eip = vcpu.pop(size);
    const uint16_t cs = uint16_t(vcpu.pop(size));
    const uint32_t fl = vcpu.pop(size);
    const uint8_t cpl = v.cpl, rpl = cs & 3;
    if (rpl < cpl || (cs & ~3u) == 0) {
        vcpu.set_reg(ESP, esp);
        return vcpu.raise(vector::GP, cs & ~3u);
    }
    uint32_t mask = eflags::CF | eflags::PF | eflags::AF | eflags::ZF | eflags::SF | eflags::TF |
                    eflags::IF | eflags::DF | eflags::OF | eflags::IOPL | eflags::NT | eflags::AC |
                    eflags::ID | eflags::RF;
    if (size == 2) mask &= 0xffff;
    if (cpl != 0) mask &= ~eflags::IOPL;
    if (cpl > iopl(v)) mask &= ~eflags::IF;
    const bool outer = rpl > cpl;
    uint32_t new_esp = 0;
    uint16_t new_ss = 0;
    if (outer) {
        new_esp = vcpu.pop(size);
        new_ss = uint16_t(vcpu.pop(size));
    }
    vcpu.load_segment(Sreg::CS, cs);  // the new CPL
    (void)new_ss, (void)new_esp;
    constexpr uint32_t kVirtual = eflags::IF | eflags::IOPL;
    v.eflags = (v.eflags & ~(mask & kVirtual)) | (fl & mask & kVirtual);
    vcpu.set_real_eflags((vcpu.real_eflags() & ~(mask & ~kVirtual)) | (fl & mask & ~kVirtual));
    vcpu.retire_to(insn, eip);
}

}  // namespace ptv::lab::trap
