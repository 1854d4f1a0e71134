// The fetch-decode-execute loop, memory and operand access, segment loading
// and event delivery through the IDT. Instruction semantics live in
// execute.cpp (integer), system.cpp (system instructions) and strings.cpp.
#include "ptv/vmm/cpu.hpp"

#include <fmt/format.h>

#include <cstring>

namespace ptv::vmm {

Cpu::Cpu(std::span<uint8_t> ram, Platform& platform)
    : ram_(ram), platform_(platform), cache_(ram.size()) {}

void Cpu::map_private(uint32_t base, size_t size) {
    private_base_ = base;
    private_.assign(size, 0);
}

void Cpu::request_stop(std::string detail, Outcome outcome) {
    if (!stop_) stop_ = Stop{outcome, s_.eip, std::move(detail)};
}

// ---------------------------------------------------------------- memory --

uint32_t Cpu::read_linear(uint32_t a, uint8_t size) {
    // Paging is off: linear = physical (SDM vol. 3, 3.1).
    if (uint64_t(a) + size <= ram_.size()) {
        uint32_t v = 0;
        std::memcpy(&v, ram_.data() + a, size);
        return v;
    }
    if (!private_.empty() && a >= private_base_ &&
        uint64_t(a) + size <= private_base_ + private_.size()) {
        uint32_t v = 0;
        std::memcpy(&v, private_.data() + (a - private_base_), size);
        return v;
    }
    return platform_.mmio_read(*this, a, size);
}

void Cpu::write_linear(uint32_t a, uint8_t size, uint32_t value) {
    if (uint64_t(a) + size <= ram_.size()) {
        std::memcpy(ram_.data() + a, &value, size);
        cache_.on_write(a, size);
        return;
    }
    if (!private_.empty() && a >= private_base_ &&
        uint64_t(a) + size <= private_base_ + private_.size()) {
        std::memcpy(private_.data() + (a - private_base_), &value, size);
        return;
    }
    platform_.mmio_write(*this, a, size, value);
}

uint32_t Cpu::reg(uint8_t i, uint8_t size) const {
    const uint32_t v = s_.gpr[i];
    return size == 4 ? v : size == 2 ? v & 0xffff : v & 0xff;
}

void Cpu::set_reg(uint8_t i, uint8_t size, uint32_t value) {
    uint32_t& r = s_.gpr[i];
    if (size == 4)
        r = value;
    else if (size == 2)
        r = (r & 0xffff0000u) | (value & 0xffff);
    else
        r = (r & 0xffffff00u) | (value & 0xff);
}

uint32_t Cpu::effective_address(const Operand& o) const {
    uint32_t a = uint32_t(o.disp);
    if (o.base < 8) a += s_.gpr[o.base];
    if (o.index < 8) a += s_.gpr[o.index] * o.scale;
    return a;
}

uint32_t Cpu::linear_address(const Operand& o) const {
    const uint32_t ea = effective_address(o);
    return o.seg < 6 ? s_.seg[o.seg].base + ea : ea;
}

uint32_t Cpu::read_operand(const DecodedInstruction&, const Operand& o) {
    switch (o.kind) {
        case Operand::Kind::Reg:
            switch (o.reg_class) {
                case Operand::RegClass::Gpr:
                    return reg(o.reg, o.size);
                case Operand::RegClass::Gpr8High:
                    return (s_.gpr[o.reg] >> 8) & 0xff;
                case Operand::RegClass::Sreg:
                    return s_.seg[o.reg].selector;
                case Operand::RegClass::Cr:
                    return o.reg == 0 ? s_.cr0 : o.reg == 2 ? s_.cr2 : o.reg == 3 ? s_.cr3 : s_.cr4;
                default:
                    throw CpuFault{vec::UD};
            }
        case Operand::Kind::Mem:
            return read_linear(linear_address(o), o.size);
        case Operand::Kind::Imm:
        case Operand::Kind::Ptr:
            return o.size == 4 ? o.imm : o.size == 2 ? o.imm & 0xffff : o.imm & 0xff;
        default:
            throw CpuFault{vec::UD};
    }
}

void Cpu::write_operand(const DecodedInstruction&, const Operand& o, uint32_t value) {
    if (o.kind == Operand::Kind::Mem) return write_linear(linear_address(o), o.size, value);
    if (o.kind != Operand::Kind::Reg) throw CpuFault{vec::UD};
    switch (o.reg_class) {
        case Operand::RegClass::Gpr:
            return set_reg(o.reg, o.size, value);
        case Operand::RegClass::Gpr8High:
            s_.gpr[o.reg] = (s_.gpr[o.reg] & 0xffff00ffu) | ((value & 0xff) << 8);
            return;
        case Operand::RegClass::Sreg:
            return load_segment(Sreg(o.reg), uint16_t(value));
        default:
            throw CpuFault{vec::UD};
    }
}

void Cpu::push(uint32_t value, uint8_t size) {
    const uint32_t esp = s_.gpr[ESP] - size;
    write_linear(s_.seg[SS].base + esp, size, value);
    s_.gpr[ESP] = esp;
}

uint32_t Cpu::pop(uint8_t size) {
    const uint32_t v = read_linear(s_.seg[SS].base + s_.gpr[ESP], size);
    s_.gpr[ESP] += size;
    return v;
}

// -------------------------------------------------------------- segments --

uint64_t Cpu::read_descriptor(uint16_t selector) {
    const bool ldt = selector & 4;
    const uint32_t base = ldt ? s_.ldtr.base : s_.gdtr.base;
    const uint32_t limit = ldt ? s_.ldtr.limit : s_.gdtr.limit;
    const uint32_t offset = selector & ~7u;
    if (offset + 7 > limit) throw CpuFault{vec::GP, true, uint32_t(selector & ~3u)};
    return uint64_t(read_linear(base + offset, 4)) | uint64_t(read_linear(base + offset + 4, 4))
                                                         << 32;
}

namespace {

Segment from_descriptor(uint16_t selector, uint64_t d) {
    Segment s;
    s.selector = selector;
    s.base = uint32_t((d >> 16) & 0xffffff) | uint32_t(d >> 56) << 24;
    uint32_t limit = uint32_t(d & 0xffff) | uint32_t((d >> 48) & 0xf) << 16;
    if (d & (1ull << 55)) limit = limit << 12 | 0xfff;  // G: 4 KiB units
    s.limit = limit;
    s.access = uint8_t(d >> 40);
    s.db = d & (1ull << 54);
    s.usable = true;
    return s;
}

constexpr uint8_t kPresent = 0x80, kCodeData = 0x10, kCode = 0x08, kConforming = 0x04,
                  kWritable = 0x02, kReadable = 0x02, kAccessed = 0x01;

}  // namespace

void Cpu::load_segment(Sreg r, uint16_t selector) {
    const uint32_t err = selector & ~3u;
    if ((selector & ~3u) == 0) {
        // A null selector: allowed in DS, ES, FS, GS (unusable until loaded).
        if (r == SS || r == CS) throw CpuFault{vec::GP, true, 0};
        s_.seg[r] = Segment{};
        s_.seg[r].selector = selector;
        s_.seg[r].usable = false;
        return;
    }
    uint64_t d = read_descriptor(selector);
    Segment seg = from_descriptor(selector, d);
    const uint8_t a = seg.access, dpl = seg.dpl(), rpl = selector & 3, cpl = s_.cpl();
    if (!(a & kCodeData)) throw CpuFault{vec::GP, true, err};
    if (r == SS) {
        if (rpl != cpl || dpl != cpl || (a & kCode) || !(a & kWritable))
            throw CpuFault{vec::GP, true, err};
        if (!(a & kPresent)) throw CpuFault{vec::SS, true, err};
    } else if (r == CS) {
        // Only far transfers load CS; they check and pass the final selector.
        if (!(a & kCode)) throw CpuFault{vec::GP, true, err};
        if (!(a & kPresent)) throw CpuFault{vec::NP, true, err};
    } else {
        if ((a & kCode) && !(a & kReadable)) throw CpuFault{vec::GP, true, err};
        const bool conforming_code = (a & kCode) && (a & kConforming);
        if (!conforming_code && (rpl > dpl || cpl > dpl)) throw CpuFault{vec::GP, true, err};
        if (!(a & kPresent)) throw CpuFault{vec::NP, true, err};
    }
    // The processor sets the accessed bit in the descriptor (SDM vol. 3, 3.4.5.1).
    if (!(a & kAccessed)) {
        const uint32_t base = (selector & 4) ? s_.ldtr.base : s_.gdtr.base;
        const uint32_t at = base + (selector & ~7u) + 5;
        write_linear(at, 1, a | kAccessed);
        seg.access |= kAccessed;
        platform_.descriptor_accessed(*this, at);
    }
    s_.seg[r] = seg;
}

void Cpu::far_transfer(uint16_t selector, uint32_t offset, bool is_call, uint8_t size) {
    const uint32_t err = selector & ~3u;
    if (err == 0) throw CpuFault{vec::GP, true, 0};
    const uint64_t d = read_descriptor(selector);
    Segment seg = from_descriptor(selector, d);
    const uint8_t cpl = s_.cpl(), rpl = selector & 3, dpl = seg.dpl();
    if (!(seg.access & kCodeData) || !(seg.access & kCode))
        throw CpuFault{vec::GP, true, err};  // call gates, TSS: not modelled
    if (seg.access & kConforming) {
        if (dpl > cpl) throw CpuFault{vec::GP, true, err};
    } else if (rpl > cpl || dpl != cpl) {
        throw CpuFault{vec::GP, true, err};
    }
    if (!(seg.access & kPresent)) throw CpuFault{vec::NP, true, err};
    if (is_call) {
        push(s_.seg[CS].selector, size);
        push(s_.eip, size);
    }
    seg.selector = uint16_t((selector & ~3u) | cpl);  // CPL does not change
    s_.seg[CS] = seg;
    s_.eip = size == 2 ? offset & 0xffff : offset;
}

void Cpu::far_return(uint8_t size, uint16_t pop_bytes) {
    const uint32_t eip = pop(size);
    const uint16_t cs = uint16_t(pop(size));
    const uint8_t cpl = s_.cpl(), rpl = cs & 3;
    if (rpl < cpl) throw CpuFault{vec::GP, true, uint32_t(cs & ~3u)};
    if (rpl > cpl) throw CpuFault{vec::GP, true, uint32_t(cs & ~3u)};  // outer return: not modelled
    const uint64_t d = read_descriptor(cs);
    Segment seg = from_descriptor(cs, d);
    if (!(seg.access & kCode)) throw CpuFault{vec::GP, true, uint32_t(cs & ~3u)};
    s_.seg[CS] = seg;
    s_.eip = eip;
    s_.gpr[ESP] += pop_bytes;
}

// ---------------------------------------------------------------- events --

void Cpu::deliver(const Event& e) {
    // SDM vol. 3, 6.12.1: the gate, privilege checks, the stack switch
    // through the TSS for an inner-privilege handler, and the frame.
    const uint32_t ext = e.kind == Event::Kind::SoftwareInterrupt ? 0 : 1;
    const uint32_t gate_err = uint32_t(e.vector) * 8 + 2 + ext;
    if (uint32_t(e.vector) * 8 + 7 > s_.idtr.limit) throw CpuFault{vec::GP, true, gate_err};
    const uint32_t at = s_.idtr.base + uint32_t(e.vector) * 8;
    const uint64_t gate = uint64_t(read_linear(at, 4)) | uint64_t(read_linear(at + 4, 4)) << 32;
    const uint8_t type = uint8_t(gate >> 40) & 0x1f, gate_dpl = uint8_t(gate >> 45) & 3;
    const bool present = gate & (1ull << 47);
    if (type != 0x0e && type != 0x0f) throw CpuFault{vec::GP, true, gate_err};  // task gates: no
    if (e.kind == Event::Kind::SoftwareInterrupt && s_.cpl() > gate_dpl)
        throw CpuFault{vec::GP, true, gate_err};
    if (!present) throw CpuFault{vec::NP, true, gate_err};
    const uint16_t sel = uint16_t(gate >> 16);
    const uint32_t offset = uint32_t(gate & 0xffff) | uint32_t(gate >> 48) << 16;
    if ((sel & ~3u) == 0) throw CpuFault{vec::GP, true, ext};
    Segment cs = from_descriptor(sel, read_descriptor(sel));
    if (!(cs.access & kCode) || cs.dpl() > s_.cpl())
        throw CpuFault{vec::GP, true, uint32_t(sel & ~3u) + ext};
    if (!(cs.access & kPresent)) throw CpuFault{vec::NP, true, uint32_t(sel & ~3u) + ext};

    const uint32_t old_eflags = s_.eflags;
    const Segment old_cs = s_.seg[CS], old_ss = s_.seg[SS];
    const uint32_t old_esp = s_.gpr[ESP];
    const uint8_t new_cpl = (cs.access & kConforming) ? s_.cpl() : cs.dpl();
    if (new_cpl < s_.cpl()) {
        // Inner privilege: SS:ESP for the new ring come from the TSS.
        const uint32_t tss = s_.tr.base;
        if (s_.tr.limit < uint32_t(4 + 8 * new_cpl + 5))
            throw CpuFault{vec::TS, true, s_.tr.selector & ~3u};
        const uint32_t esp = read_linear(tss + 4 + 8 * new_cpl, 4);
        const uint16_t ss = uint16_t(read_linear(tss + 8 + 8 * new_cpl, 2));
        cs.selector = uint16_t((sel & ~3u) | new_cpl);
        s_.seg[CS] = cs;  // CPL is now new_cpl, for the SS checks
        try {
            load_segment(SS, ss);
        } catch (...) {
            s_.seg[CS] = old_cs;
            throw;
        }
        s_.gpr[ESP] = esp;
        push(old_ss.selector);
        push(old_esp);
    } else {
        cs.selector = uint16_t((sel & ~3u) | s_.cpl());
    }
    push(old_eflags);
    push(old_cs.selector);
    push(e.return_eip);
    if (e.has_error) push(e.error);
    s_.seg[CS] = cs;
    s_.eip = offset;
    s_.eflags &= ~(flags::TF | flags::NT | flags::RF | flags::VM);
    if (type == 0x0e) s_.eflags &= ~flags::IF;  // interrupt gate
}

void Cpu::event(Event e) {
    ++(e.kind == Event::Kind::External ? counters_.interrupts : counters_.exceptions);
    if (platform_.on_event(*this, e)) return;
    deliver_with_nesting(e);
}

void Cpu::deliver_with_nesting(Event e) {
    if (fault_depth_ == 0) first_fault_ = e.vector;
    // A fault while delivering an event (SDM vol. 3, 6.15, interrupt 8,
    // tables 6-4 and 6-5): after a contributory exception (#DE, #TS, #NP,
    // #SS, #GP) or #PF, another one of those becomes #DF; after a benign
    // event (INT n, an external interrupt, #UD, #BP, ...) the new fault is
    // simply delivered in turn (INT 0x80 through a DPL-0 gate from ring 3 is
    // a #GP, not a #DF). A fault while delivering #DF is a triple fault:
    // shutdown.
    auto contributory = [](uint8_t v) { return v == vec::DE || (v >= vec::TS && v <= vec::PF); };
    for (;;) {
        try {
            ++fault_depth_;
            deliver(e);
            fault_depth_ = 0;
            return;
        } catch (const CpuFault& f) {
            const bool is_exception = e.kind == Event::Kind::Exception;
            if (is_exception && e.vector == vec::DF) {
                fault_depth_ = 0;
                const bool ud = first_fault_ == vec::UD;
                stop_ = Stop{ud ? Outcome::InvalidOpcode : Outcome::TripleFault, e.eip,
                             ud ? "invalid opcode " + describe(e.eip)
                                : fmt::format("triple fault: exception {} could not be delivered",
                                              first_fault_)};
                return;
            }
            if (is_exception && contributory(e.vector) && contributory(f.vector))
                e = Event{Event::Kind::Exception, vec::DF, true, 0, e.eip, e.return_eip};
            else  // the frame points at the instruction (or the event) that faulted
                e = Event{Event::Kind::Exception, f.vector, f.has_error, f.error, e.eip, e.eip};
        }
    }
}

// ------------------------------------------------------------------ loop --

const DecodedInstruction* Cpu::fetch(uint32_t eip) {
    const uint32_t linear = s_.seg[CS].base + eip;
    if (const DecodedInstruction* hit = cache_.find(linear)) return hit;
    uint8_t bytes[15];
    for (int i = 0; i < 15; ++i) {
        const uint32_t a = linear + i;
        bytes[i] = a < ram_.size() ? ram_[a] : uint8_t(read_linear(a, 1));
    }
    ++counters_.decodes;
    auto insn = decoder_.decode(bytes);
    if (!insn) return nullptr;
    if (const DecodedInstruction* cached = cache_.insert(linear, *insn)) return cached;
    scratch_ = *insn;
    return &scratch_;
}

std::string Cpu::describe(uint32_t eip) {
    const uint32_t linear = s_.seg[CS].base + eip;
    uint8_t bytes[15];
    for (int i = 0; i < 15; ++i) {
        const uint32_t a = linear + i;
        bytes[i] = a < ram_.size() ? ram_[a] : 0xff;
    }
    auto insn = decoder_.decode(bytes);
    const size_t n = insn ? insn->length : 4;
    std::string hex;
    for (size_t i = 0; i < n; ++i) hex += fmt::format("{}{:02x}", i ? " " : "", bytes[i]);
    return fmt::format("{} ({}) at EIP {:#x}", hex,
                       insn ? decoder_.disassemble(bytes, eip) : "not an instruction", eip);
}

std::optional<Stop> Cpu::step() {
    step_one();
    return stop_;
}

void Cpu::step_one() {
    if (stop_) return;
    if (lazy_.kind != LazyFlags::None) materialize_flags();  // after translated code
    if (pending_irq_ && s_.interrupts_enabled()) {
        const uint8_t v = *pending_irq_;
        pending_irq_.reset();
        event(Event{Event::Kind::External, v, false, 0, s_.eip, s_.eip});
        return;
    }
    const uint32_t eip = s_.eip;
    // Faults are restartable: the instruction's pops (RETF, IRET, POP sreg)
    // must not have moved ESP when it faults.
    const uint32_t esp = s_.gpr[ESP];
    // The decode cache's hit inline; fetch() decodes on a miss.
    const DecodedInstruction* insn = cache_.find(s_.seg[CS].base + eip);
    if (!insn) insn = fetch(eip);
    try {
        if (!insn) throw CpuFault{vec::UD};
        if (insn->system && platform_.wants_intercepts && platform_.intercept(*this, *insn)) {
            // The platform carried it out: it counts it (retire()) if the
            // guest's instruction completed.
            return;
        }
        if (platform_.watch_sensitive && insn->sensitive) {
            const CpuState before = s_;
            execute(*insn);
            platform_.after_sensitive(*this, *insn, before);
        } else {
            execute(*insn);
        }
        // Retired: a faulting instruction is not counted (it restarts), nor
        // is one the model stopped at as unsupported (it never ran).
        if (!stop_ || stop_->outcome != Outcome::UnsupportedInstruction) ++counters_.instructions;
    } catch (const CpuFault& f) {
        // Faults restart the instruction: the frame holds its own EIP.
        s_.eip = eip;
        s_.gpr[ESP] = esp;
        event(Event{Event::Kind::Exception, f.vector, f.has_error, f.error, eip, eip});
    }
}

Stop Cpu::run(uint64_t budget) {
    // The budget counts steps, not retired instructions, so a guest that
    // faults forever (never retiring one) still runs out of it.
    uint64_t steps = 0;
    while (!stop_) {
        if (budget && steps++ >= budget) {
            stop_ = Stop{Outcome::InstructionBudget, s_.eip,
                         fmt::format("instruction budget of {} exhausted", budget)};
            break;
        }
        poll_timer();
        step_one();
    }
    return take_stop();
}

Stop Cpu::take_stop() {
    materialize_flags();
    Stop out = *stop_;
    stop_.reset();
    return out;
}

}  // namespace ptv::vmm
