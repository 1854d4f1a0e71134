// System instructions (SDM vol. 3, 2.8 and vol. 2): the privileged ones
// that #GP unless CPL = 0, the IOPL-sensitive ones (CLI, STI, IN, OUT) and
// the sensitive-but-unprivileged ones Robin & Irvine (2000) listed (PUSHF,
// POPF, SGDT, SIDT, SLDT, STR, SMSW, IRET, INT n). The hardware rules are
// modelled exactly, because the techniques are told apart by them.
#include <fmt/format.h>

#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

namespace {

// EFLAGS bits POPF/IRET may change at all (SDM vol. 2, POPF, table 4-16).
constexpr uint32_t kModifiable = flags::CF | flags::PF | flags::AF | flags::ZF | flags::SF |
                                 flags::TF | flags::IF | flags::DF | flags::OF | flags::IOPL |
                                 flags::NT | flags::AC | flags::ID;

}  // namespace

bool Cpu::execute_system(const DecodedInstruction& in) {
    const uint32_t next = s_.eip;  // execute() already moved EIP past `in`
    const Operand& a = in.op[0];
    const Operand& b = in.op[1];
    auto need_cpl0 = [&] {
        if (s_.cpl() != 0) throw CpuFault{vec::GP, true, 0};
    };
    auto need_iopl = [&] {
        if (s_.cpl() > s_.iopl()) throw CpuFault{vec::GP, true, 0};
    };
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_CLI:
            need_iopl();
            s_.eflags &= ~flags::IF;
            return true;
        case ZYDIS_MNEMONIC_STI:
            need_iopl();
            s_.eflags |= flags::IF;
            return true;
        case ZYDIS_MNEMONIC_HLT:
            need_cpl0();
            if (pending_irq_ && s_.interrupts_enabled()) return true;  // woken at once
            // What a HLT means for the run is the platform's (the exit
            // policy's) to say; EIP is past the HLT, as KVM reports it.
            platform_.on_hlt(*this);
            return true;
        case ZYDIS_MNEMONIC_IN: {
            need_iopl();
            const uint16_t port = uint16_t(read_operand(in, b));
            write_operand(in, a, platform_.port_in(*this, port, a.size));
            return true;
        }
        case ZYDIS_MNEMONIC_OUT: {
            need_iopl();
            const uint16_t port = uint16_t(read_operand(in, a));
            platform_.port_out(*this, port, b.size, read_operand(in, b));
            return true;
        }
        case ZYDIS_MNEMONIC_PUSHFD:
        case ZYDIS_MNEMONIC_PUSHF:
            // The image has VM and RF clear (SDM vol. 2, PUSHF). Nothing
            // here depends on CPL: a deprivileged kernel sees the real IF.
            push(s_.eflags & ~(flags::VM | flags::RF), in.operand_size);
            return true;
        case ZYDIS_MNEMONIC_POPFD:
        case ZYDIS_MNEMONIC_POPF: {
            const uint32_t v = pop(in.operand_size);
            uint32_t mask = kModifiable;
            if (in.operand_size == 2) mask &= 0xffff;
            // IOPL only at CPL 0; IF only when CPL <= IOPL. Otherwise the
            // bits are silently left alone: no fault, no trap.
            if (s_.cpl() != 0) mask &= ~flags::IOPL;
            if (s_.cpl() > s_.iopl()) mask &= ~flags::IF;
            s_.eflags = (s_.eflags & ~mask) | (v & mask) | flags::Reserved1;
            undefined_ &= ~(mask & flags::Arithmetic);
            return true;
        }
        case ZYDIS_MNEMONIC_IRETD:
        case ZYDIS_MNEMONIC_IRET:
            do_iret(in);
            return true;
        case ZYDIS_MNEMONIC_INT:
            event(Event{Event::Kind::SoftwareInterrupt, uint8_t(a.imm), false, 0, next - in.length,
                        next});
            return true;
        case ZYDIS_MNEMONIC_INT3:
            event(Event{Event::Kind::SoftwareInterrupt, vec::BP, false, 0, next - in.length, next});
            return true;
        case ZYDIS_MNEMONIC_INTO:
            if (s_.eflags & flags::OF)
                event(Event{Event::Kind::SoftwareInterrupt, vec::OF, false, 0, next - in.length,
                            next});
            return true;
        case ZYDIS_MNEMONIC_LGDT:
        case ZYDIS_MNEMONIC_LIDT: {
            need_cpl0();
            const uint32_t at = linear_address(a);
            TableRegister t{read_linear(at + 2, 4), uint16_t(read_linear(at, 2))};
            if (in.operand_size == 2) t.base &= 0xffffff;
            (in.mnemonic == ZYDIS_MNEMONIC_LGDT ? s_.gdtr : s_.idtr) = t;
            return true;
        }
        case ZYDIS_MNEMONIC_SGDT:
        case ZYDIS_MNEMONIC_SIDT: {
            const TableRegister& t = in.mnemonic == ZYDIS_MNEMONIC_SGDT ? s_.gdtr : s_.idtr;
            const uint32_t at = linear_address(a);
            write_linear(at, 2, t.limit);
            write_linear(at + 2, 4, t.base);
            return true;
        }
        case ZYDIS_MNEMONIC_SLDT:
        case ZYDIS_MNEMONIC_STR:
            write_operand(in, a,
                          in.mnemonic == ZYDIS_MNEMONIC_STR ? s_.tr.selector : s_.ldtr.selector);
            return true;
        case ZYDIS_MNEMONIC_SMSW:
            // A register destination gets all of CR0 on current processors.
            write_operand(in, a, a.kind == Operand::Kind::Mem ? s_.cr0 & 0xffff : s_.cr0);
            return true;
        case ZYDIS_MNEMONIC_LMSW:
            need_cpl0();
            // Loads PE, MP, EM, TS; cannot clear PE.
            s_.cr0 = (s_.cr0 & ~0xeu) | (read_operand(in, a) & 0xf) | (s_.cr0 & 1);
            return true;
        case ZYDIS_MNEMONIC_CLTS:
            need_cpl0();
            s_.cr0 &= ~8u;
            return true;
        case ZYDIS_MNEMONIC_INVD:
        case ZYDIS_MNEMONIC_WBINVD:
        case ZYDIS_MNEMONIC_INVLPG:
            need_cpl0();  // no caches or TLB in this model
            return true;
        case ZYDIS_MNEMONIC_LTR: {
            need_cpl0();
            const uint16_t sel = uint16_t(read_operand(in, a));
            if ((sel & ~3u) == 0 || (sel & 4)) throw CpuFault{vec::GP, true, uint32_t(sel & ~3u)};
            const uint64_t d = read_descriptor(sel);
            const uint8_t access = uint8_t(d >> 40);
            if ((access & 0x1f) != 0x09) throw CpuFault{vec::GP, true, uint32_t(sel & ~3u)};
            if (!(access & 0x80)) throw CpuFault{vec::NP, true, uint32_t(sel & ~3u)};
            // Mark the TSS busy in the GDT, as the processor does.
            write_linear(s_.gdtr.base + (sel & ~7u) + 5, 1, access | 0x02);
            Segment t;
            t.selector = sel;
            t.base = uint32_t((d >> 16) & 0xffffff) | uint32_t(d >> 56) << 24;
            t.limit = uint32_t(d & 0xffff) | uint32_t((d >> 48) & 0xf) << 16;
            if (d & (1ull << 55)) t.limit = t.limit << 12 | 0xfff;
            t.access = access | 0x02;
            s_.tr = t;
            return true;
        }
        case ZYDIS_MNEMONIC_LLDT: {
            need_cpl0();
            const uint16_t sel = uint16_t(read_operand(in, a));
            if ((sel & ~3u) == 0) {
                s_.ldtr = Segment{};
                s_.ldtr.usable = false;
                return true;
            }
            const uint64_t d = read_descriptor(sel);
            if (((d >> 40) & 0x1f) != 0x02) throw CpuFault{vec::GP, true, uint32_t(sel & ~3u)};
            s_.ldtr.selector = sel;
            s_.ldtr.base = uint32_t((d >> 16) & 0xffffff) | uint32_t(d >> 56) << 24;
            s_.ldtr.limit = uint32_t(d & 0xffff) | uint32_t((d >> 48) & 0xf) << 16;
            s_.ldtr.access = uint8_t(d >> 40);
            return true;
        }
        case ZYDIS_MNEMONIC_MOV: {
            // MOV to or from a control register (the decoder marks it privileged).
            need_cpl0();
            if (a.reg_class == Operand::RegClass::Cr) {
                const uint32_t v = read_operand(in, b);
                switch (a.reg) {
                    case 0:
                        if (v & 0x80000000u) {
                            s_.eip = next - in.length;
                            stop_ = Stop{Outcome::UnsupportedInstruction, s_.eip,
                                         "unsupported: paging (CR0.PG) is not modelled; " +
                                             describe(s_.eip)};
                            return true;
                        }
                        s_.cr0 = v | 0x10;  // ET is hard-wired
                        return true;
                    case 2:
                        s_.cr2 = v;
                        return true;
                    case 3:
                        s_.cr3 = v;
                        return true;
                    case 4:
                        s_.cr4 = v;
                        return true;
                    default:
                        throw CpuFault{vec::UD};
                }
            }
            write_operand(in, a, read_operand(in, b));
            return true;
        }
        case ZYDIS_MNEMONIC_WRMSR:
        case ZYDIS_MNEMONIC_RDMSR: {
            need_cpl0();
            uint32_t* msr = nullptr;
            switch (s_.gpr[ECX]) {
                case 0x174:
                    msr = &s_.sysenter_cs;
                    break;
                case 0x175:
                    msr = &s_.sysenter_esp;
                    break;
                case 0x176:
                    msr = &s_.sysenter_eip;
                    break;
                default:
                    throw CpuFault{vec::GP, true, 0};  // no such MSR here
            }
            if (in.mnemonic == ZYDIS_MNEMONIC_WRMSR) {
                *msr = s_.gpr[EAX];
            } else {
                s_.gpr[EAX] = *msr;
                s_.gpr[EDX] = 0;
            }
            return true;
        }
        case ZYDIS_MNEMONIC_SYSENTER:
        case ZYDIS_MNEMONIC_SYSEXIT: {
            // Fast system calls (SDM vol. 2, SYSENTER/SYSEXIT): flat segments
            // from IA32_SYSENTER_CS, without reading the GDT.
            const bool enter = in.mnemonic == ZYDIS_MNEMONIC_SYSENTER;
            if (!enter) need_cpl0();
            if ((s_.sysenter_cs & 0xfffc) == 0) throw CpuFault{vec::GP, true, 0};
            const uint8_t ring = enter ? 0 : 3;
            auto flat = [&](uint16_t sel, uint8_t type) {
                Segment g;
                g.selector = uint16_t((sel & 0xfffc) | ring);
                g.base = 0;
                g.limit = 0xffffffff;
                g.access = uint8_t(0x90 | (ring << 5) | type);
                g.db = true;
                return g;
            };
            const uint16_t cs = uint16_t(s_.sysenter_cs + (enter ? 0 : 16));
            s_.seg[CS] = flat(cs, 0x0b);
            s_.seg[SS] = flat(uint16_t(cs + 8), 0x03);
            if (enter) {
                s_.eflags &= ~(flags::VM | flags::IF | flags::RF);
                s_.gpr[ESP] = s_.sysenter_esp;
                s_.eip = s_.sysenter_eip;
            } else {
                s_.gpr[ESP] = s_.gpr[ECX];
                s_.eip = s_.gpr[EDX];
            }
            return true;
        }
        case ZYDIS_MNEMONIC_CPUID:
            // A fixed identity, documented in sim/vmm/README.md.
            if (s_.gpr[EAX] == 0) {
                s_.gpr[EAX] = 1;
                s_.gpr[EBX] = 0x6c767470;  // "ptvl"
                s_.gpr[EDX] = 0x6f4d6261;  // "abMo"
                s_.gpr[ECX] = 0x206c6564;  // "del "
            } else {
                s_.gpr[EAX] = s_.gpr[EBX] = s_.gpr[ECX] = s_.gpr[EDX] = 0;
            }
            return true;
        default:
            return false;
    }
}

void Cpu::do_iret(const DecodedInstruction& in) {
    // Protected-mode IRET without task return (SDM vol. 2, IRET).
    if (s_.eflags & flags::NT) {
        stop_ = Stop{Outcome::UnsupportedInstruction, s_.eip - in.length,
                     "unsupported: task return (IRET with EFLAGS.NT) is not modelled"};
        s_.eip -= in.length;
        return;
    }
    const uint8_t size = in.operand_size;
    const uint32_t esp0 = s_.gpr[ESP];
    const uint32_t eip = pop(size);
    const uint16_t cs = uint16_t(pop(size));
    const uint32_t fl = pop(size);
    const uint8_t cpl = s_.cpl(), rpl = cs & 3;
    const uint32_t err = cs & ~3u;
    if (rpl < cpl) {
        s_.gpr[ESP] = esp0;
        throw CpuFault{vec::GP, true, err};
    }
    if (err == 0) {
        s_.gpr[ESP] = esp0;
        throw CpuFault{vec::GP, true, 0};
    }
    const uint64_t d = read_descriptor(cs);
    const uint8_t access = uint8_t(d >> 40), dpl = (access >> 5) & 3;
    if (!(access & 0x10) || !(access & 0x08) || (!(access & 0x04) && dpl != rpl) ||
        ((access & 0x04) && dpl > rpl)) {
        s_.gpr[ESP] = esp0;
        throw CpuFault{vec::GP, true, err};
    }
    uint32_t mask = kModifiable | flags::RF;
    if (size == 2) mask &= 0xffff;
    if (cpl != 0) mask &= ~flags::IOPL;
    if (cpl > s_.iopl()) mask &= ~flags::IF;
    uint32_t new_esp = 0;
    uint16_t new_ss = 0;
    if (rpl > cpl) {
        new_esp = pop(size);
        new_ss = uint16_t(pop(size));
    }
    // Commit: CS (and so CPL), then SS:ESP for a return to an outer ring.
    Segment code;
    code.selector = cs;
    code.base = uint32_t((d >> 16) & 0xffffff) | uint32_t(d >> 56) << 24;
    code.limit = uint32_t(d & 0xffff) | uint32_t((d >> 48) & 0xf) << 16;
    if (d & (1ull << 55)) code.limit = code.limit << 12 | 0xfff;
    code.access = access;
    code.db = d & (1ull << 54);
    const Segment old_cs = s_.seg[CS];
    s_.seg[CS] = code;
    if (rpl > cpl) {
        try {
            load_segment(SS, new_ss);
        } catch (...) {
            s_.seg[CS] = old_cs;
            s_.gpr[ESP] = esp0;
            throw;
        }
        s_.gpr[ESP] = new_esp;
        // Data segments the outer ring may not use become null (SDM: IRET).
        for (Sreg r : {ES, DS, FS, GS}) {
            const Segment& sg = s_.seg[r];
            const bool conforming_code = (sg.access & 0x08) && (sg.access & 0x04);
            if (sg.usable && !conforming_code && sg.dpl() < rpl) {
                s_.seg[r] = Segment{};
                s_.seg[r].usable = false;
            }
        }
    }
    s_.eflags = (s_.eflags & ~mask) | (fl & mask) | flags::Reserved1;
    undefined_ &= ~(mask & flags::Arithmetic);
    s_.eip = eip;
}

}  // namespace ptv::vmm
