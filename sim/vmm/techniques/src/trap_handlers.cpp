// The reference trap handlers (see trap_handlers.hpp). Each class is
// emulated the same way here: the processor model runs the instruction
// once more, this time on the virtual CPU, which is exactly what the bare
// machine would have done. A handler of one's own replaces one entry of
// the table (TrapAndEmulate::handlers()); the equivalence check with the
// native run says whether it emulates the bare machine.
#include "ptv/vmm/trap_handlers.hpp"

namespace ptv::vmm {

namespace {

TrapResult run_on_virtual_cpu(VirtualCpu& vcpu, Cpu& cpu) {
    const uint64_t faults = cpu.counters().exceptions;
    vcpu.execute(cpu);
    return cpu.counters().exceptions == faults ? TrapResult::Emulated : TrapResult::Faulted;
}

}  // namespace

const char* trap_class_name(TrapClass c) {
    switch (c) {
        case TrapClass::InterruptFlag:
            return "interrupt flag";
        case TrapClass::Halt:
            return "halt";
        case TrapClass::PortIo:
            return "port I/O";
        case TrapClass::ControlRegister:
            return "control register";
        case TrapClass::DescriptorTable:
            return "descriptor table";
        case TrapClass::Interrupt:
            return "interrupt";
        case TrapClass::Msr:
            return "MSR";
        case TrapClass::FastSystemCall:
            return "fast system call";
        case TrapClass::Cache:
            return "cache";
        case TrapClass::Other:
        case TrapClass::Count:
            break;
    }
    return "other";
}

TrapClass trap_class(const DecodedInstruction& insn) {
    switch (ZydisMnemonic(insn.mnemonic)) {
        case ZYDIS_MNEMONIC_CLI:
        case ZYDIS_MNEMONIC_STI:
            return TrapClass::InterruptFlag;
        case ZYDIS_MNEMONIC_HLT:
            return TrapClass::Halt;
        case ZYDIS_MNEMONIC_IN:
        case ZYDIS_MNEMONIC_OUT:
        case ZYDIS_MNEMONIC_INSB:
        case ZYDIS_MNEMONIC_INSW:
        case ZYDIS_MNEMONIC_INSD:
        case ZYDIS_MNEMONIC_OUTSB:
        case ZYDIS_MNEMONIC_OUTSW:
        case ZYDIS_MNEMONIC_OUTSD:
            return TrapClass::PortIo;
        case ZYDIS_MNEMONIC_LMSW:
        case ZYDIS_MNEMONIC_CLTS:
            return TrapClass::ControlRegister;
        case ZYDIS_MNEMONIC_MOV:
            for (const Operand& o : insn.op)
                if (o.kind == Operand::Kind::Reg && o.reg_class == Operand::RegClass::Cr)
                    return TrapClass::ControlRegister;
            return TrapClass::Other;
        case ZYDIS_MNEMONIC_LGDT:
        case ZYDIS_MNEMONIC_LIDT:
        case ZYDIS_MNEMONIC_LLDT:
        case ZYDIS_MNEMONIC_LTR:
            return TrapClass::DescriptorTable;
        case ZYDIS_MNEMONIC_INT:
        case ZYDIS_MNEMONIC_INT3:
        case ZYDIS_MNEMONIC_INTO:
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD:
            return TrapClass::Interrupt;
        case ZYDIS_MNEMONIC_RDMSR:
        case ZYDIS_MNEMONIC_WRMSR:
            return TrapClass::Msr;
        case ZYDIS_MNEMONIC_SYSENTER:
        case ZYDIS_MNEMONIC_SYSEXIT:
            return TrapClass::FastSystemCall;
        case ZYDIS_MNEMONIC_INVD:
        case ZYDIS_MNEMONIC_WBINVD:
        case ZYDIS_MNEMONIC_INVLPG:
            return TrapClass::Cache;
        default:
            return TrapClass::Other;
    }
}

// CLI and STI: the virtual CPU's IF changes if its CPL <= IOPL, else the
// bare machine raises #GP too. The real IF stays on: the VMM needs its
// interrupts.
TrapResult emulate_interrupt_flag(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// HLT: with the virtual IF clear the guest has stopped for good (the run
// ends halted); with it set the wait is over at once (no device of the
// model raises interrupts), as in the KVM worker.
TrapResult emulate_halt(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// IN, OUT, INS, OUTS: checked against the virtual IOPL, then the device
// access the guest meant, through the same devices the bare machine has.
TrapResult emulate_port_io(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// MOV to and from CR0-4, LMSW, CLTS: read and write the virtual control
// registers; the real ones stay the VMM's (CR0 with paging and protection).
TrapResult emulate_control_register(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// LGDT, LIDT, LLDT, LTR: load the virtual table registers. The VMM rebuilds
// its shadow GDT from the guest's new one when it switches back.
TrapResult emulate_descriptor_table(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// INT n and IRET when they fault in ring 3 (a gate or a return the
// deprivileged kernel may not use): delivered or returned as on the bare
// machine, through the guest's own IDT and stacks.
TrapResult emulate_interrupt(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// RDMSR, WRMSR: the model's MSRs (SYSENTER's), with the bare machine's #GP
// for the others.
TrapResult emulate_msr(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// SYSENTER (intercepted: the real SYSENTER MSRs are the VMM's) enters the
// guest kernel at its own entry point; SYSEXIT returns to the guest's user
// code.
TrapResult emulate_fast_system_call(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// INVD, WBINVD, INVLPG: no caches or TLB in the model, so only their
// privilege check.
TrapResult emulate_cache(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

// Anything else that traps: segment loads and far transfers the shadow
// descriptors do not allow, and faults the bare machine would raise too.
TrapResult emulate_other(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction&) {
    return run_on_virtual_cpu(vcpu, cpu);
}

TrapHandlers TrapHandlers::reference() {
    TrapHandlers h;
    h[TrapClass::InterruptFlag] = emulate_interrupt_flag;
    h[TrapClass::Halt] = emulate_halt;
    h[TrapClass::PortIo] = emulate_port_io;
    h[TrapClass::ControlRegister] = emulate_control_register;
    h[TrapClass::DescriptorTable] = emulate_descriptor_table;
    h[TrapClass::Interrupt] = emulate_interrupt;
    h[TrapClass::Msr] = emulate_msr;
    h[TrapClass::FastSystemCall] = emulate_fast_system_call;
    h[TrapClass::Cache] = emulate_cache;
    h[TrapClass::Other] = emulate_other;
    return h;
}

}  // namespace ptv::vmm
