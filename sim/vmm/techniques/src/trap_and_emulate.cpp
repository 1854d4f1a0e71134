#include "ptv/vmm/trap_and_emulate.hpp"

#include <fmt/format.h>

#include <cstring>

#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

namespace {

constexpr uint32_t kVirtualFlags = flags::IF | flags::IOPL;

const char* vector_name(uint8_t v) {
    static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                  "#DF", "?",   "#TS", "#NP", "#SS", "#GP", "#PF"};
    return v < 15 ? names[v] : "?";
}

}  // namespace

uint8_t TrapAndEmulate::shadow_access(uint8_t access) const {
    // Ring compression: the shadow of a ring-0 code or data descriptor is
    // usable in the kernel's ring. System descriptors (TSS, LDT) and
    // descriptors of other rings are left alone.
    const bool code_or_data = access & 0x10;
    const bool ring0 = ((access >> 5) & 3) == 0;
    return code_or_data && ring0 ? uint8_t(access | (kernel_ring() << 5)) : access;
}

void TrapAndEmulate::start(Cpu& cpu) {
    Technique::start(cpu);
    cpu.map_private(kVmmBase, 0x20000);
    watch_sensitive = true;
    wants_intercepts = true;
    capture_virtual(cpu.state());
    in_guest_view_ = true;
    to_real(cpu);
}

void TrapAndEmulate::capture_virtual(const CpuState& s) {
    // The guest's view of the processor becomes the virtual CPU.
    v_.cpl = s.cpl();
    v_.ss_rpl = s.seg[SS].rpl();
    v_.eflags_bits = s.eflags & kVirtualFlags;
    v_.gdtr = s.gdtr;
    v_.idtr = s.idtr;
    v_.tr = s.tr;
    v_.ldtr = s.ldtr;
    v_.cr0 = s.cr0, v_.cr2 = s.cr2, v_.cr3 = s.cr3, v_.cr4 = s.cr4;
}

void TrapAndEmulate::build_shadow_gdt(Cpu& cpu) {
    // The VMM's copy of the guest's GDT, with code and data descriptors
    // moved to DPL 3 so the deprivileged kernel can load them. It is
    // rebuilt on every (trapped) LGDT; a real VMM would also write-protect
    // the guest's table to catch later edits.
    auto shadow = cpu.private_area();
    const uint32_t size = std::min<uint32_t>(uint32_t(v_.gdtr.limit) + 1, 0x10000);
    std::memset(shadow.data(), 0, 0x10000);
    for (uint32_t off = 0; off + 8 <= size; off += 8) {
        uint8_t d[8];
        for (int i = 0; i < 8; ++i) d[i] = uint8_t(cpu.read_linear(v_.gdtr.base + off + i, 1));
        d[5] = shadow_access(d[5]);
        std::memcpy(shadow.data() + off, d, 8);
    }
}

void TrapAndEmulate::to_real(Cpu& cpu) {
    if (!in_guest_view_) return;
    CpuState& s = cpu.state();
    const bool new_gdt =
        !shadow_built_ || s.gdtr.base != v_.gdtr.base || s.gdtr.limit != v_.gdtr.limit;
    capture_virtual(s);
    if (new_gdt) build_shadow_gdt(cpu);
    shadow_built_ = true;

    // The real processor: the kernel's ring, interrupts on, IOPL 0, the
    // VMM's tables.
    s.seg[CS].selector = uint16_t((s.seg[CS].selector & ~3u) | real_ring(v_.cpl));
    s.seg[SS].selector = uint16_t((s.seg[SS].selector & ~3u) | real_ring(v_.ss_rpl));
    for (Segment& sg : s.seg) sg.access = shadow_access(sg.access);
    s.eflags = (s.eflags & ~kVirtualFlags) | flags::IF;
    s.gdtr = {TrapAndEmulate::kVmmBase, v_.gdtr.limit};
    s.idtr = {kVmmIdt, 0x7ff};
    s.cr0 = kHostCr0;
    in_guest_view_ = false;
}

void TrapAndEmulate::to_virtual(Cpu& cpu) {
    if (in_guest_view_) return;
    CpuState& s = cpu.state();
    // The guest may have changed rings without the VMM (an IRET or SYSEXIT
    // that did not trap): with the kernel in ring 1 the real ring says so.
    if (kernel_ring() != 3) {
        v_.cpl = virtual_cpl(s.cpl());
        v_.ss_rpl = virtual_cpl(s.seg[SS].rpl());
    }
    s.seg[CS].selector = uint16_t((s.seg[CS].selector & ~3u) | v_.cpl);
    s.seg[SS].selector = uint16_t((s.seg[SS].selector & ~3u) | v_.ss_rpl);
    // Descriptor caches as the guest's own table has them.
    for (Segment& sg : s.seg) {
        if (!sg.usable || (sg.selector & ~3u) == 0 || (sg.selector & 4)) continue;
        const uint32_t at = v_.gdtr.base + (sg.selector & ~7u) + 5;
        if ((sg.selector & ~7u) + 7 <= v_.gdtr.limit) sg.access = uint8_t(cpu.read_linear(at, 1));
    }
    apply_virtual(s);
    in_guest_view_ = true;
}

void TrapAndEmulate::apply_virtual(CpuState& s) const {
    s.eflags = (s.eflags & ~kVirtualFlags) | v_.eflags_bits;
    s.gdtr = v_.gdtr;
    s.idtr = v_.idtr;
    s.tr = v_.tr;
    s.ldtr = v_.ldtr;
    s.cr0 = v_.cr0, s.cr2 = v_.cr2, s.cr3 = v_.cr3, s.cr4 = v_.cr4;
}

CpuState TrapAndEmulate::guest_view(const Cpu& cpu) const {
    CpuState s = cpu.state();
    if (in_guest_view_) return s;
    const uint8_t cpl = virtual_cpl(s.cpl()), ss_rpl = virtual_cpl(s.seg[SS].rpl());
    s.seg[CS].selector = uint16_t((s.seg[CS].selector & ~3u) | cpl);
    s.seg[SS].selector = uint16_t((s.seg[SS].selector & ~3u) | ss_rpl);
    apply_virtual(s);
    return s;
}

std::string TrapAndEmulate::cause(Cpu&, const Event& e, const DecodedInstruction* insn) const {
    if (e.kind == Event::Kind::SoftwareInterrupt) return fmt::format("int {:#x}", e.vector);
    if (e.kind == Event::Kind::External) return fmt::format("interrupt {:#x}", e.vector);
    if (e.vector == vec::GP && insn)
        return fmt::format("#GP ({})", ZydisMnemonicGetString(ZydisMnemonic(insn->mnemonic)));
    return vector_name(e.vector);
}

bool TrapAndEmulate::on_event(Cpu& cpu, const Event& e) {
    if (emulating_) return false;  // the guest's view: deliver as the bare machine does
    const DecodedInstruction* insn = e.kind == Event::Kind::Exception ? cpu.fetch(e.eip) : nullptr;
    if (e.kind == Event::Kind::Exception && e.vector == vec::GP) {
        emulate(cpu, e, insn);
    } else {
        reflect(cpu, e);
    }
    return true;
}

bool TrapAndEmulate::intercept(Cpu& cpu, const DecodedInstruction& insn) {
    // The VMM owns the real SYSENTER MSRs, so a SYSENTER from the guest
    // enters the VMM, which delivers it to the guest kernel's entry point.
    if (emulating_ || insn.mnemonic != ZYDIS_MNEMONIC_SYSENTER) return false;
    const uint32_t eip = cpu.state().eip;
    ++counters_.traps["sysenter"];
    counters_.cycles += cost::kTrap;
    note({"trap", "sysenter", eip, cpu.decoder().disassemble(insn.bytes, eip),
          cpu.counters().instructions, nullptr});
    handlers_[TrapClass::FastSystemCall](*this, cpu, insn);
    return true;
}

void TrapAndEmulate::emulate(Cpu& cpu, const Event& e, const DecodedInstruction* insn) {
    const std::string why = cause(cpu, e, insn);
    ++counters_.traps[why];
    counters_.cycles += cost::kTrap;
    note({"trap", why, e.eip, insn ? cpu.decoder().disassemble(insn->bytes, e.eip) : "",
          cpu.counters().instructions, nullptr});
    // The handler for the instruction's class; code the VMM cannot decode
    // is run on the virtual CPU, which raises the bare machine's fault.
    if (insn)
        handlers_[trap_class(*insn)](*this, cpu, *insn);
    else
        emulate_step(cpu);
}

void TrapAndEmulate::emulate_step(Cpu& cpu) {
    // The instruction faulted only because the kernel runs in ring 3: run
    // it again on the virtual CPU. If it faults there too, the bare machine
    // would have faulted as well, and the processor model delivers that
    // fault to the guest's own handler.
    to_virtual(cpu);
    emulating_ = true;
    cpu.step();
    emulating_ = false;
    to_real(cpu);
}

void TrapAndEmulate::reflect(Cpu& cpu, const Event& e) {
    const std::string why = cause(cpu, e, nullptr);
    ++counters_.traps[why];
    ++counters_.reflected;
    counters_.cycles += cost::kReflect;
    note({"reflect", why, e.eip, "", cpu.counters().instructions, nullptr});
    to_virtual(cpu);
    emulating_ = true;
    cpu.deliver_with_nesting(e);
    emulating_ = false;
    to_real(cpu);
}

void TrapAndEmulate::descriptor_accessed(Cpu& cpu, uint32_t at) {
    // The processor set the accessed bit in the shadow table; the guest's
    // own descriptor gets it too, as on the bare machine.
    if (emulating_ || at < kVmmBase) return;
    const uint32_t guest = v_.gdtr.base + (at - kVmmBase);
    const uint8_t a = uint8_t(cpu.read_linear(guest, 1));
    emulating_ = true;
    cpu.write_linear(guest, 1, a | 1);
    emulating_ = false;
}

void TrapAndEmulate::after_sensitive(Cpu& cpu, const DecodedInstruction& insn,
                                     const CpuState& before) {
    if (emulating_) return;  // ran on the virtual CPU: nothing to see
    const CpuState& s = cpu.state();
    const uint32_t eip = before.eip;
    const uint8_t vcpl = virtual_cpl(before.cpl());
    auto flag_text = [](uint32_t f) {
        return fmt::format("IF={} IOPL={}", (f & flags::IF) ? 1 : 0, (f & flags::IOPL) >> 12);
    };
    const auto m = ZydisMnemonic(insn.mnemonic);
    switch (m) {
        case ZYDIS_MNEMONIC_PUSHFD:
        case ZYDIS_MNEMONIC_PUSHF: {
            const uint32_t pushed = cpu.read_linear(s.seg[SS].base + s.gpr[ESP], insn.operand_size);
            const uint32_t bare = (pushed & ~kVirtualFlags) | v_.eflags_bits;
            if (pushed != bare)
                diverged(cpu, eip,
                         fmt::format("pushf showed the guest {}; on the bare machine {} (PUSHF "
                                     "does not trap in ring 3, so the VMM cannot fix it)",
                                     flag_text(pushed), flag_text(bare)));
            return;
        }
        case ZYDIS_MNEMONIC_POPFD:
        case ZYDIS_MNEMONIC_POPF: {
            const uint32_t popped =
                cpu.read_linear(before.seg[SS].base + before.gpr[ESP], insn.operand_size);
            uint32_t bare = v_.eflags_bits;
            if (vcpl == 0)
                bare = popped & kVirtualFlags;
            else if (vcpl <= (v_.eflags_bits >> 12))
                bare = (bare & ~flags::IF) | (popped & flags::IF);
            if (bare != v_.eflags_bits)
                diverged(cpu, eip,
                         fmt::format("popf meant to set {} was silently ignored: in ring 3 with "
                                     "IOPL 0 the processor leaves IF (and IOPL) alone and does "
                                     "not trap; the virtual CPU keeps {}",
                                     flag_text(bare), flag_text(v_.eflags_bits)));
            return;
        }
        case ZYDIS_MNEMONIC_MOV:
        case ZYDIS_MNEMONIC_PUSH: {
            const Operand& src = m == ZYDIS_MNEMONIC_PUSH ? insn.op[0] : insn.op[1];
            if (src.kind != Operand::Kind::Reg || src.reg_class != Operand::RegClass::Sreg) return;
            if (src.reg != CS && src.reg != SS) return;
            const uint16_t real = before.seg[src.reg].selector;
            const uint16_t bare = uint16_t((real & ~3u) | virtual_cpl(real & 3));
            if (real != bare)
                diverged(cpu, eip,
                         fmt::format("reading {} showed selector {:#x} (RPL {}); on the bare "
                                     "machine {:#x}: the guest can see it is not in ring {}",
                                     src.reg == CS ? "CS" : "SS", real, real & 3, bare, bare & 3));
            return;
        }
        case ZYDIS_MNEMONIC_SGDT:
        case ZYDIS_MNEMONIC_SIDT: {
            const bool gdt = m == ZYDIS_MNEMONIC_SGDT;
            const TableRegister real = gdt ? before.gdtr : before.idtr;
            const TableRegister bare = gdt ? v_.gdtr : v_.idtr;
            if (real.base != bare.base || real.limit != bare.limit)
                diverged(cpu, eip,
                         fmt::format("{} revealed the VMM's table at {:#x} (limit {:#x}); the "
                                     "guest's own is at {:#x} (limit {:#x})",
                                     gdt ? "sgdt" : "sidt", real.base, real.limit, bare.base,
                                     bare.limit));
            return;
        }
        case ZYDIS_MNEMONIC_SMSW: {
            const bool mem = insn.op[0].kind == Operand::Kind::Mem;
            const uint32_t real = mem ? before.cr0 & 0xffff : before.cr0;
            const uint32_t bare = mem ? v_.cr0 & 0xffff : v_.cr0;
            if (real != bare)
                diverged(cpu, eip,
                         fmt::format("smsw revealed the host's CR0 {:#x}; the guest's is {:#x}",
                                     real, bare));
            return;
        }
        case ZYDIS_MNEMONIC_IRETD:
        case ZYDIS_MNEMONIC_IRET: {
            // Only reached when IRET did not fault (same-level return in ring 3).
            const uint32_t at = before.seg[SS].base + before.gpr[ESP];
            const uint16_t cs = uint16_t(cpu.read_linear(at + insn.operand_size, 2));
            const uint32_t fl = cpu.read_linear(at + 2 * insn.operand_size, insn.operand_size);
            // Native: a return to an outer ring pops SS:ESP. Here it did
            // not if the target ring is not outer to the real one.
            if ((cs & 3) > vcpl && (cs & 3) <= before.cpl())
                diverged(cpu, eip,
                         fmt::format("iret to ring {} did not switch to the outer stack: in "
                                     "ring 3 it is a same-privilege return, so SS:ESP stay on "
                                     "the kernel stack, and the VMM still believes CPL {}",
                                     cs & 3, vcpl));
            if (vcpl <= (v_.eflags_bits >> 12) && (fl & flags::IF) != (v_.eflags_bits & flags::IF))
                diverged(cpu, eip,
                         fmt::format("iret did not restore IF={}: in ring 3 with IOPL 0 the "
                                     "processor leaves IF alone",
                                     (fl & flags::IF) ? 1 : 0));
            return;
        }
        default:
            return;
    }
}

}  // namespace ptv::vmm
