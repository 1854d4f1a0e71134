// The handlers you write (trap_handlers.cpp, divergence.cpp): the VMM's
// table of trap handlers, one per class of privileged instruction (the
// kit's TrapAndEmulate calls them through its table, trap_handlers.hpp in
// sim/vmm). Each is called with EIP at the trapped instruction; it either
// emulates the instruction on the virtual CPU and retires it, or raises the
// fault the bare machine would have raised.
#pragma once

#include <cstdint>

#include "ptv/lab/trap/vcpu.hpp"

namespace ptv::lab::trap {

// Part 1. CLI, STI: IOPL-sensitive (SDM vol. 2, CLI/STI).
void emulate_interrupt_flag(Vcpu& vcpu, const Instruction& insn);
// Part 1. HLT: privileged.
void emulate_halt(Vcpu& vcpu, const Instruction& insn);
// Part 1. IN, OUT (port in DX or an immediate; AL, AX or EAX): IOPL-sensitive.
void emulate_port_io(Vcpu& vcpu, const Instruction& insn);
// Part 2. MOV to and from CR0, CR2, CR3, CR4: privileged.
void emulate_control_register(Vcpu& vcpu, const Instruction& insn);
// Part 2. LGDT, LIDT (a 6-byte operand in memory), LTR (a selector): privileged.
void emulate_descriptor_table(Vcpu& vcpu, const Instruction& insn);
// Part 3. IRET: it traps when the deprivileged kernel returns to itself
// (an inner ring for the real processor) or to user code (the VMM's shadow
// descriptors make that return fault, so the VMM sees the guest leave the
// kernel).
void emulate_iret(Vcpu& vcpu, const Instruction& insn);

// Part 4. Called after every POPF the guest executed, which never traps:
// the real processor ran it in ring 3 and has already changed (or not)
// the real EFLAGS. `popped` is the value it took from the stack. Decide
// what the bare machine would have done to the virtual IF and IOPL, and
// report a divergence where the virtual CPU does not show it.
void check_popf(Vcpu& vcpu, const Instruction& insn, uint32_t popped);

}  // namespace ptv::lab::trap
