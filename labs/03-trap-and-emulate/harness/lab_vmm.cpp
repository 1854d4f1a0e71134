#include "lab_vmm.hpp"

#include <Zydis/Zydis.h>

#include <span>

namespace ptv::lab::trap {

using vmm::CpuFault;
using vmm::DecodedInstruction;
using vmm::TrapClass;
using vmm::TrapResult;

namespace {

bool is_popf(const DecodedInstruction& d) {
    return d.mnemonic == ZYDIS_MNEMONIC_POPF || d.mnemonic == ZYDIS_MNEMONIC_POPFD;
}

bool is_iret(const DecodedInstruction& d) {
    return d.mnemonic == ZYDIS_MNEMONIC_IRET || d.mnemonic == ZYDIS_MNEMONIC_IRETD;
}

bool is_mov_cr(const DecodedInstruction& d) {
    return d.mnemonic == ZYDIS_MNEMONIC_MOV;
}

bool has_error_code(uint8_t v) {
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

}  // namespace

LabVmm::LabVmm(vmm::SimulatedMachine& machine, Table table)
    : TrapAndEmulate(machine), table_(table) {
    if (table_ != Table::Student) return;
    handlers_[TrapClass::InterruptFlag] = on_interrupt_flag;
    handlers_[TrapClass::Halt] = on_halt;
    handlers_[TrapClass::PortIo] = on_port_io;
    handlers_[TrapClass::ControlRegister] = on_control_register;
    handlers_[TrapClass::DescriptorTable] = on_descriptor_table;
    handlers_[TrapClass::Interrupt] = on_interrupt;
}

void LabVmm::start(vmm::Cpu& cpu) {
    TrapAndEmulate::start(cpu);
    pull();
}

uint8_t LabVmm::shadow_access(uint8_t access) const {
    const bool code = (access & 0x18) == 0x18, conforming = access & 0x04;
    if (code && !conforming && ((access >> 5) & 3) == 3) return uint8_t((access & ~0x60) | 0x40);
    return TrapAndEmulate::shadow_access(access);
}

// ------------------------------------------------------- the handler table --

TrapResult LabVmm::on_interrupt_flag(vmm::VirtualCpu& v, vmm::Cpu& cpu,
                                     const DecodedInstruction& d) {
    return self(v).call(cpu, d, emulate_interrupt_flag);
}

TrapResult LabVmm::on_halt(vmm::VirtualCpu& v, vmm::Cpu& cpu, const DecodedInstruction& d) {
    return self(v).call(cpu, d, emulate_halt);
}

TrapResult LabVmm::on_port_io(vmm::VirtualCpu& v, vmm::Cpu& cpu, const DecodedInstruction& d) {
    if (d.mnemonic == ZYDIS_MNEMONIC_IN || d.mnemonic == ZYDIS_MNEMONIC_OUT)
        return self(v).call(cpu, d, emulate_port_io);
    return vmm::emulate_port_io(v, cpu, d);  // INS, OUTS: the kit's
}

TrapResult LabVmm::on_control_register(vmm::VirtualCpu& v, vmm::Cpu& cpu,
                                       const DecodedInstruction& d) {
    if (is_mov_cr(d)) return self(v).call(cpu, d, emulate_control_register);
    return vmm::emulate_control_register(v, cpu, d);  // LMSW, CLTS: the kit's
}

TrapResult LabVmm::on_descriptor_table(vmm::VirtualCpu& v, vmm::Cpu& cpu,
                                       const DecodedInstruction& d) {
    if (d.mnemonic == ZYDIS_MNEMONIC_LLDT) return vmm::emulate_descriptor_table(v, cpu, d);
    return self(v).call(cpu, d, emulate_descriptor_table);
}

TrapResult LabVmm::on_interrupt(vmm::VirtualCpu& v, vmm::Cpu& cpu, const DecodedInstruction& d) {
    if (is_iret(d)) return self(v).call(cpu, d, emulate_iret);
    return vmm::emulate_interrupt(v, cpu, d);  // INT n: the kit's
}

TrapResult LabVmm::call(vmm::Cpu& cpu, const DecodedInstruction& d, StudentHandler fn) {
    const Instruction insn = translate(cpu, d, cpu.state().eip);
    pull();
    const vmm::TableRegister gdtr = v_.gdtr;
    faulted_ = false;
    try {
        fn(*this, insn);
        push();
    } catch (const CpuFault& f) {
        // A fault inside the emulation (a descriptor outside the GDT, not
        // present): the bare machine's fault, for the guest.
        push();
        raise(f.vector, f.error);
    }
    // The VMM's own part: a new guest GDT gets a new shadow; the real TR
    // is the guest's (as the kit's switch back to the VMM leaves it).
    vmm::CpuState& s = cpu.state();
    if (gdtr.base != v_.gdtr.base || gdtr.limit != v_.gdtr.limit) {
        build_shadow_gdt(cpu);
        s.gdtr = {kVmmBase, v_.gdtr.limit};
    }
    s.tr = v_.tr;
    s.ldtr = v_.ldtr;
    return faulted_ ? TrapResult::Faulted : TrapResult::Emulated;
}

void LabVmm::after_sensitive(vmm::Cpu& cpu, const DecodedInstruction& d,
                             const vmm::CpuState& before) {
    if (table_ == Table::Kit || emulating_ || !is_popf(d))
        return TrapAndEmulate::after_sensitive(cpu, d, before);
    const uint32_t popped =
        cpu.read_linear(before.seg[vmm::SS].base + before.gpr[vmm::ESP], d.operand_size);
    const Instruction insn = translate(cpu, d, before.eip);
    pull();
    check_popf(*this, insn, popped);
    push();
}

// ------------------------------------------------------------- decoding --

Instruction LabVmm::translate(vmm::Cpu& cpu, const DecodedInstruction& d, uint32_t eip) const {
    Instruction insn;
    insn.eip = eip;
    insn.length = d.length;
    insn.operand_size = d.operand_size;
    insn.text = cpu.decoder().disassemble(std::span<const uint8_t>(d.bytes.data(), d.length), eip);
    switch (ZydisMnemonic(d.mnemonic)) {
        case ZYDIS_MNEMONIC_CLI:
            insn.mnemonic = Mnemonic::Cli;
            break;
        case ZYDIS_MNEMONIC_STI:
            insn.mnemonic = Mnemonic::Sti;
            break;
        case ZYDIS_MNEMONIC_HLT:
            insn.mnemonic = Mnemonic::Hlt;
            break;
        case ZYDIS_MNEMONIC_IN:
            insn.mnemonic = Mnemonic::In;
            break;
        case ZYDIS_MNEMONIC_OUT:
            insn.mnemonic = Mnemonic::Out;
            break;
        case ZYDIS_MNEMONIC_LGDT:
            insn.mnemonic = Mnemonic::Lgdt;
            break;
        case ZYDIS_MNEMONIC_LIDT:
            insn.mnemonic = Mnemonic::Lidt;
            break;
        case ZYDIS_MNEMONIC_LTR:
            insn.mnemonic = Mnemonic::Ltr;
            break;
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD:
            insn.mnemonic = Mnemonic::Iret;
            break;
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_POPFD:
            insn.mnemonic = Mnemonic::Popf;
            break;
        default:
            insn.mnemonic = d.op[0].kind == vmm::Operand::Kind::Reg &&
                                    d.op[0].reg_class == vmm::Operand::RegClass::Cr
                                ? Mnemonic::MovToCr
                                : Mnemonic::MovFromCr;
    }
    for (int i = 0; i < 2; ++i) {
        const vmm::Operand& o = d.op[i];
        Operand& out = insn.op[i];
        out.size = o.size;
        switch (o.kind) {
            case vmm::Operand::Kind::Reg:
                if (o.reg_class == vmm::Operand::RegClass::Cr) {
                    out.kind = Operand::Kind::ControlRegister;
                    out.reg = o.reg;
                } else {
                    out.kind = Operand::Kind::Register;
                    out.reg = o.reg_class == vmm::Operand::RegClass::Gpr8High ? o.reg + 4 : o.reg;
                }
                break;
            case vmm::Operand::Kind::Imm:
                out.kind = Operand::Kind::Immediate;
                out.value = o.size >= 4 ? o.imm : o.imm & ((1u << (8 * o.size)) - 1);
                break;
            case vmm::Operand::Kind::Mem:
                out.kind = Operand::Kind::Memory;
                out.address = cpu.linear_address(o);
                break;
            default:
                break;
        }
    }
    return insn;
}

// ------------------------------------------------------ the virtual CPU --

void LabVmm::pull() {
    virt_.cpl = v_.cpl;
    virt_.eflags = v_.eflags_bits;
    virt_.gdtr = {v_.gdtr.base, v_.gdtr.limit};
    virt_.idtr = {v_.idtr.base, v_.idtr.limit};
    virt_.tr = {v_.tr.selector, v_.tr.base, v_.tr.limit, v_.tr.access};
    virt_.cr0 = v_.cr0, virt_.cr2 = v_.cr2, virt_.cr3 = v_.cr3, virt_.cr4 = v_.cr4;
}

void LabVmm::push() {
    v_.cpl = virt_.cpl;
    v_.eflags_bits = virt_.eflags & (eflags::IF | eflags::IOPL);
    v_.gdtr = {virt_.gdtr.base, virt_.gdtr.limit};
    v_.idtr = {virt_.idtr.base, virt_.idtr.limit};
    v_.tr.selector = virt_.tr.selector;
    v_.tr.base = virt_.tr.base;
    v_.tr.limit = virt_.tr.limit;
    v_.tr.access = virt_.tr.access;
    v_.cr0 = virt_.cr0, v_.cr2 = virt_.cr2, v_.cr3 = virt_.cr3, v_.cr4 = virt_.cr4;
}

template <class F>
void LabVmm::in_guest_view(F f) {
    push();
    to_virtual(*cpu_);
    emulating_ = true;
    f();
    emulating_ = false;
    to_real(*cpu_);
    pull();
}

uint32_t LabVmm::reg(uint8_t gpr, uint8_t size) const {
    const uint32_t* g = cpu_->state().gpr.data();
    if (size == 1 && gpr >= 4) return (g[gpr - 4] >> 8) & 0xff;
    return cpu_->reg(gpr & 7, size);
}

void LabVmm::set_reg(uint8_t gpr, uint32_t value, uint8_t size) {
    if (size == 1 && gpr >= 4) {
        uint32_t& r = cpu_->state().gpr[gpr - 4];
        r = (r & ~0xff00u) | (value & 0xff) << 8;
        return;
    }
    cpu_->set_reg(gpr & 7, size, value);
}

uint32_t LabVmm::read(uint32_t linear, uint8_t size) {
    return cpu_->read_linear(linear, size);
}

void LabVmm::write(uint32_t linear, uint8_t size, uint32_t value) {
    cpu_->write_linear(linear, size, value);
}

uint32_t LabVmm::pop(uint8_t size) {
    vmm::CpuState& s = cpu_->state();
    const uint32_t v = cpu_->read_linear(s.seg[vmm::SS].base + s.gpr[vmm::ESP], size);
    s.gpr[vmm::ESP] += size;
    return v;
}

uint32_t LabVmm::port_in(uint16_t port, uint8_t size) {
    uint32_t v = 0;
    in_guest_view([&] { v = Technique::port_in(*cpu_, port, size); });
    return v;
}

void LabVmm::port_out(uint16_t port, uint8_t size, uint32_t value) {
    in_guest_view([&] { Technique::port_out(*cpu_, port, size, value); });
}

void LabVmm::load_segment(Sreg which, uint16_t selector) {
    const auto r = vmm::Sreg(uint8_t(which));
    const uint32_t err = selector & ~3u;
    vmm::CpuState& s = cpu_->state();
    if (err == 0) {
        if (r == vmm::CS || r == vmm::SS) throw CpuFault{vmm::vec::GP, true, 0};
        s.seg[r] = vmm::Segment{};
        s.seg[r].selector = selector;
        s.seg[r].usable = false;
        return;
    }
    const uint32_t at = virt_.gdtr.base + (selector & ~7u);
    if ((selector & 4) || (selector & ~7u) + 7 > virt_.gdtr.limit)
        throw CpuFault{vmm::vec::GP, true, err};
    const uint32_t lo = read(at, 4), hi = read(at + 4, 4);
    uint8_t access = uint8_t(hi >> 8);
    if (!(access & 0x80)) throw CpuFault{r == vmm::SS ? vmm::vec::SS : vmm::vec::NP, true, err};
    // The processor sets the accessed bit (SDM vol. 3, 3.4.5.1); the
    // model's does it for the data and stack segments it loads, not for CS.
    if (!(access & 1) && r != vmm::CS) {
        access |= 1;
        write(at + 5, 1, access);
    }
    vmm::Segment seg;
    seg.base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000u);
    seg.limit = (lo & 0xffff) | (hi & 0xf0000u);
    if (hi & (1u << 23)) seg.limit = seg.limit << 12 | 0xfff;
    seg.db = hi & (1u << 22);
    seg.access = shadow_access(access);
    seg.selector = selector;
    const uint8_t ring = selector & 3;
    if (r == vmm::CS || r == vmm::SS) seg.selector = uint16_t(err | real_ring(ring));
    s.seg[r] = seg;
    if (r == vmm::SS) v_.ss_rpl = ring;
    if (r != vmm::CS) return;
    // The new ring. On a return to an outer ring the data segments it may
    // not use become null, as the processor does (SDM vol. 2, IRET).
    const bool outer = ring > virt_.cpl;
    virt_.cpl = v_.cpl = ring;
    if (!outer) return;
    for (vmm::Sreg d : {vmm::ES, vmm::DS, vmm::FS, vmm::GS}) {
        vmm::Segment& sg = s.seg[d];
        if (!sg.usable || (sg.selector & ~3u) == 0 || (sg.selector & 4)) continue;
        if ((sg.selector & ~7u) + 7 > virt_.gdtr.limit) continue;
        const uint8_t a = uint8_t(read(virt_.gdtr.base + (sg.selector & ~7u) + 5, 1));
        const bool conforming_code = (a & 0x08) && (a & 0x04);
        if (!conforming_code && ((a >> 5) & 3) < ring) {
            sg = vmm::Segment{};
            sg.usable = false;
        }
    }
}

void LabVmm::retire(const Instruction& insn) {
    retire_to(insn, insn.eip + insn.length);
}

void LabVmm::retire_to(const Instruction&, uint32_t eip) {
    cpu_->state().eip = eip;
    cpu_->retire();
}

void LabVmm::raise(uint8_t vector, uint32_t error_code) {
    faulted_ = true;
    const uint32_t eip = cpu_->state().eip;
    const vmm::Event e{
        vmm::Event::Kind::Exception, vector, has_error_code(vector), error_code, eip, eip};
    in_guest_view([&] { cpu_->deliver_with_nesting(e); });
}

void LabVmm::halt() {
    in_guest_view([&] { Technique::on_hlt(*cpu_); });
}

void LabVmm::report_divergence(const Instruction& insn, const std::string& what) {
    diverged(*cpu_, insn.eip, what);
}

uint32_t LabVmm::real_eflags() const {
    return cpu_->state().eflags;
}

void LabVmm::set_real_eflags(uint32_t value) {
    cpu_->state().eflags = value | vmm::flags::Reserved1;
}

uint32_t LabVmm::real_cr0() const {
    return cpu_->state().cr0;
}

}  // namespace ptv::lab::trap
