// Trap-and-emulate (Popek & Goldberg 1974): the guest kernel runs
// deprivileged, in ring 3; every privileged instruction faults (#GP) into
// the VMM, which emulates it against a virtual CPU (virtual CPL, IF, IOPL,
// GDTR, IDTR, TR, control registers) and resumes the guest. Exceptions and
// INT n also reach the VMM first (its own IDT), which reflects them into
// the guest's handlers as the bare machine would have delivered them.
//
// On IA-32 this is not enough (Robin & Irvine 2000): some sensitive
// instructions do not trap in ring 3. PUSHF shows the real IF, POPF
// silently ignores IF, MOV from CS shows RPL 3, SGDT/SIDT show the VMM's
// tables, SMSW the host's CR0, IRET to ring 3 is a same-privilege return.
// The model executes them as the hardware would and records each place
// where the guest saw something the bare machine would not have shown it.
// What the VMM does for each class of instruction that traps is a table of
// handlers (trap_handlers.hpp).
#pragma once

#include <cstdint>

#include "ptv/vmm/technique.hpp"
#include "ptv/vmm/trap_handlers.hpp"

namespace ptv::vmm {

class TrapAndEmulate : public Technique, protected VirtualCpu {
  public:
    using Technique::Technique;
    std::string_view name() const override { return "trap-emulate"; }
    void start(Cpu& cpu) override;
    CpuState guest_view(const Cpu& cpu) const override;

    bool on_event(Cpu& cpu, const Event& e) override;
    bool intercept(Cpu& cpu, const DecodedInstruction& insn) override;
    void after_sensitive(Cpu& cpu, const DecodedInstruction& insn, const CpuState& before) override;
    void descriptor_accessed(Cpu& cpu, uint32_t at) override;

    // Where the VMM keeps its own tables, out of the guest's RAM (VMware
    // kept its VMM in the top 4 MiB of the address space).
    static constexpr uint32_t kVmmBase = 0xffc00000;
    static constexpr uint32_t kVmmIdt = kVmmBase + 0x10000;
    // The host's CR0 while the guest runs: PG, WP, NE, ET, MP, PE.
    static constexpr uint32_t kHostCr0 = 0x80010033;

    // The handler the VMM calls for each class of instruction that traps
    // (the reference handlers unless replaced).
    TrapHandlers& handlers() { return handlers_; }

  protected:
    // The ring the guest kernel runs in: 3 (Popek & Goldberg's user mode).
    virtual uint8_t kernel_ring() const { return 3; }
    // Which ring the guest believes it is in. With the kernel in ring 3 the
    // hardware cannot tell kernel from user, so this is the VMM's belief,
    // updated only when the VMM sees a transition; with the kernel in ring
    // 1 (paravirt) the real ring says it.
    uint8_t virtual_cpl(uint8_t real_cpl) const {
        if (kernel_ring() == 3) return v_.cpl;
        return real_cpl == kernel_ring() ? 0 : real_cpl;
    }
    uint8_t real_ring(uint8_t virtual_ring) const {
        return virtual_ring == 0 ? kernel_ring() : virtual_ring;
    }
    // The access byte of a descriptor's copy in the shadow GDT (ring
    // compression). A VMM may shadow more: one that wants the return to
    // user mode to trap marks user code so an IRET to it faults.
    virtual uint8_t shadow_access(uint8_t access) const;
    // A #GP the VMM handles by emulating the instruction; a subclass may
    // recognise it as something else first (a hypercall).
    virtual void emulate(Cpu& cpu, const Event& e, const DecodedInstruction* insn);
    // Runs one guest instruction (or delivers one event) on the virtual
    // CPU: switch to the guest's view, let the processor model do exactly
    // what the bare machine would, switch back.
    void emulate_step(Cpu& cpu);
    // VirtualCpu, for the trap handlers.
    VirtualRegisters& registers() override { return v_; }
    void execute(Cpu& cpu) override { emulate_step(cpu); }
    void reflect(Cpu& cpu, const Event& e);
    std::string cause(Cpu& cpu, const Event& e, const DecodedInstruction* insn) const;

    void capture_virtual(const CpuState& s);
    // EFLAGS.IF/IOPL, the table registers and CR0-4 of the virtual CPU.
    void apply_virtual(CpuState& s) const;
    void to_virtual(Cpu& cpu);
    void to_real(Cpu& cpu);
    void build_shadow_gdt(Cpu& cpu);

    // The virtual CPU: what the guest kernel believes.
    VirtualRegisters v_;
    TrapHandlers handlers_ = TrapHandlers::reference();
    bool emulating_ = false;
    bool in_guest_view_ = false;
    bool shadow_built_ = false;
};

}  // namespace ptv::vmm
