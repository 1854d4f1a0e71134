// What a trap-and-emulate VMM does when a deprivileged guest kernel traps:
// one handler per class of instruction, in a table the VMM dispatches on.
//
// Popek & Goldberg (1974) call an instruction *privileged* if it traps when
// run in user mode, and *sensitive* if it reads or changes the machine's
// configuration (control-sensitive) or behaves differently depending on it
// (behaviour-sensitive). Their theorem: a VMM can be built by trap and
// emulate alone if every sensitive instruction is privileged. The classes
// below are the sensitive instructions that are privileged on IA-32, so
// they trap into the VMM when the guest kernel runs in ring 3, and a
// handler emulates each one against the virtual CPU.
//
// IA-32 breaks the theorem's condition (Robin & Irvine 2000): PUSHF, POPF,
// SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW, MOV and PUSH of CS and
// SS, and IRET to the same ring are sensitive but do not trap at CPL 3.
// No handler ever sees them: they run on the real processor and the VMM
// can only record afterwards where the guest saw something the bare
// machine would not have shown it (TrapAndEmulate::after_sensitive).
#pragma once

#include <array>
#include <cstdint>

#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

// The registers of the virtual CPU the VMM keeps for the guest kernel:
// what it believes, where the real processor holds the VMM's values.
struct VirtualRegisters {
    uint8_t cpl = 0;
    uint32_t eflags_bits = 0;  // IF and IOPL
    TableRegister gdtr, idtr;
    Segment tr, ldtr;
    uint32_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
    uint8_t ss_rpl = 0;
};

// The VMM as a trap handler sees it.
class VirtualCpu {
  public:
    virtual VirtualRegisters& registers() = 0;
    // Runs the trapped instruction (at the guest's EIP) on the virtual CPU:
    // the processor is switched to the guest's view of itself (its ring,
    // IF and IOPL, tables and control registers), executes the instruction
    // exactly as the bare machine would, and is switched back. If it faults
    // there too, the bare machine would have faulted as well, and the fault
    // goes to the guest's own handler.
    virtual void execute(Cpu& cpu) = 0;

  protected:
    ~VirtualCpu() = default;
};

enum class TrapResult : uint8_t {
    Emulated,  // the instruction's effect is on the virtual CPU; the guest resumes after it
    Faulted,   // it faulted on the virtual CPU too: the guest's own handler got the fault
};

// A handler: emulates `insn`, which trapped, against the virtual CPU. It
// is called with the real processor in the VMM's view (EIP at `insn`); an
// instruction it completes itself it counts with cpu.retire().
using TrapHandler = TrapResult (*)(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);

// The classes of privileged instructions, one handler each.
enum class TrapClass : uint8_t {
    InterruptFlag,    // CLI, STI (IOPL-sensitive: #GP when CPL > IOPL)
    Halt,             // HLT
    PortIo,           // IN, OUT, INS, OUTS (IOPL-sensitive)
    ControlRegister,  // MOV to/from CRn, LMSW, CLTS
    DescriptorTable,  // LGDT, LIDT, LLDT, LTR
    Interrupt,        // INT n, INT3, INTO, IRET to an inner ring
    Msr,              // RDMSR, WRMSR
    FastSystemCall,   // SYSENTER (the VMM owns its MSRs), SYSEXIT
    Cache,            // INVD, WBINVD, INVLPG
    Other,            // the rest: segment loads, far transfers, ...
    Count
};
const char* trap_class_name(TrapClass c);
TrapClass trap_class(const DecodedInstruction& insn);

struct TrapHandlers {
    std::array<TrapHandler, size_t(TrapClass::Count)> table{};
    TrapHandler& operator[](TrapClass c) { return table[size_t(c)]; }
    TrapHandler operator[](TrapClass c) const { return table[size_t(c)]; }
    // The reference handlers: each runs the instruction on the virtual CPU.
    static TrapHandlers reference();
};

// The reference handlers, one per class.
TrapResult emulate_interrupt_flag(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_halt(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_port_io(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_control_register(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_descriptor_table(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_interrupt(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_msr(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_fast_system_call(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_cache(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);
TrapResult emulate_other(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn);

}  // namespace ptv::vmm
