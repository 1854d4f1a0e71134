// Parts 1-3: the VMM's trap handlers (README.md). Each emulates one class
// of privileged instruction on the virtual CPU (vcpu.virt()), with the
// checks the bare machine makes (Intel SDM vol. 2, the instruction's
// "Operation" section), and resumes the guest after it with
// vcpu.retire(insn); where the bare machine would fault, vcpu.raise(...)
// gives the guest that fault instead. Use only the Vcpu
// (include/ptv/lab/trap/vcpu.hpp).
#include "ptv/lab/harness.hpp"
#include "ptv/lab/trap/handlers.hpp"

namespace ptv::lab::trap {

// CLI, STI: allowed when CPL <= IOPL (else #GP(0)); they change IF.
void emulate_interrupt_flag(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): check the virtual CPL against the virtual IOPL, change the
    // virtual IF, retire.
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_interrupt_flag (TODO(L3) in trap_handlers.cpp)");
}

// HLT: CPL 0 only (else #GP(0)).
void emulate_halt(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): check the CPL, retire, then vcpu.halt().
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_halt (TODO(L3) in trap_handlers.cpp)");
}

// IN AL/AX/EAX, DX|imm8 and OUT DX|imm8, AL/AX/EAX: CPL <= IOPL.
void emulate_port_io(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): the IOPL check, then vcpu.port_in/port_out of the
    // accumulator's size, retire.
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_port_io (TODO(L3) in trap_handlers.cpp)");
}

// MOV CRn, r32 and MOV r32, CRn (n = 0, 2, 3, 4): CPL 0 only.
void emulate_control_register(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): read or write the virtual control register, retire.
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_control_register (TODO(L3) in trap_handlers.cpp)");
}

// LGDT m, LIDT m, LTR r/m16: CPL 0 only.
void emulate_descriptor_table(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): load the virtual GDTR/IDTR from the 6-byte operand; for
    // LTR check the descriptor, mark it busy, load the virtual TR; retire.
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_descriptor_table (TODO(L3) in trap_handlers.cpp)");
}

// IRET (32-bit, no task return): to the same or an outer ring.
void emulate_iret(Vcpu& vcpu, const Instruction& insn) {
    // TODO(L3): pop EIP, CS, EFLAGS (and ESP, SS for an outer ring), load
    // CS (and SS), the flags the CPL may change, retire_to the popped EIP.
    (void)vcpu, (void)insn;
    throw NotImplemented("emulate_iret (TODO(L3) in trap_handlers.cpp)");
}

}  // namespace ptv::lab::trap
