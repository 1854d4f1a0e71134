// The table of trap-and-emulate handlers (sim/vmm/techniques/
// trap_handlers.*): the classes instructions fall into, and that the table
// is what the VMM runs. A wrong CLI handler breaks equivalence with the
// bare machine (Popek & Goldberg's first property); one written from the
// SDM's definition of CLI keeps it, with the same counts. Also the seams
// a VMM of one's own plugs into: its shadow descriptors (a return to user
// mode that traps) and a guest image made in memory.
#include <doctest/doctest.h>

#include <vector>

#include "guests.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vmm/decoder.hpp"
#include "ptv/vmm/trap_and_emulate.hpp"
#include "ptv/vmm/trap_handlers.hpp"

using namespace ptv;
using namespace ptv::vmm;

namespace {

TrapClass class_of(std::vector<uint8_t> bytes) {
    const auto insn = Decoder().decode(bytes);
    REQUIRE(insn);
    return trap_class(*insn);
}

// A guest run under trap-and-emulate with the given handlers, as
// run_guest() runs one.
struct Run {
    Outcome stop = Outcome::Stopped;
    std::string output;
    FinalState final_state;
    TechniqueCounters counters;
    uint64_t instructions = 0;
};

Run run_trap_and_emulate(const std::string& guest, const TrapHandlers& handlers) {
    GuestConfig config;
    config.image_path = test::guest(guest);
    config.name = guest;
    SimulatedMachine machine(config);
    TrapAndEmulate vmm(machine);
    vmm.handlers() = handlers;
    Cpu cpu(machine.ram(), vmm);
    machine.attach(cpu);
    machine.boot(cpu.state());
    vmm.start(cpu);
    Run r;
    r.stop = vmm.run(cpu, 100'000).outcome;
    r.output = machine.output();
    r.final_state.cpu = vmm.guest_view(cpu);
    r.final_state.undefined_flags = cpu.undefined_flags();
    r.final_state.memory_hash = memory_hash(machine.ram());
    r.final_state.memory_bytes = machine.ram().size();
    r.counters = vmm.counters();
    r.instructions = cpu.counters().instructions;
    return r;
}

// Wrong: one handler for the class that sets IF whichever of CLI and STI
// trapped (the guest starts with IF clear, so a CLI that did nothing
// would go unnoticed).
TrapResult cli_as_sti(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn) {
    vcpu.registers().eflags_bits |= flags::IF;
    cpu.state().eip += insn.length;
    cpu.retire();
    return TrapResult::Emulated;
}

// CLI and STI as the SDM defines them, on the virtual CPU's registers:
// allowed when CPL <= IOPL, else the bare machine's #GP (run there).
TrapResult cli_sti_by_hand(VirtualCpu& vcpu, Cpu& cpu, const DecodedInstruction& insn) {
    VirtualRegisters& v = vcpu.registers();
    if (v.cpl > ((v.eflags_bits & flags::IOPL) >> 12)) {
        vcpu.execute(cpu);
        return TrapResult::Faulted;
    }
    if (insn.mnemonic == ZYDIS_MNEMONIC_CLI)
        v.eflags_bits &= ~flags::IF;
    else
        v.eflags_bits |= flags::IF;
    cpu.state().eip += insn.length;
    cpu.retire();
    return TrapResult::Emulated;
}

}  // namespace

TEST_CASE("trap handlers: each privileged instruction has its class") {
    CHECK(class_of({0xfa}) == TrapClass::InterruptFlag);                // cli
    CHECK(class_of({0xfb}) == TrapClass::InterruptFlag);                // sti
    CHECK(class_of({0xf4}) == TrapClass::Halt);                         // hlt
    CHECK(class_of({0xec}) == TrapClass::PortIo);                       // in al, dx
    CHECK(class_of({0xe6, 0x80}) == TrapClass::PortIo);                 // out 0x80, al
    CHECK(class_of({0x6e}) == TrapClass::PortIo);                       // outsb
    CHECK(class_of({0x0f, 0x22, 0xd8}) == TrapClass::ControlRegister);  // mov cr3, eax
    CHECK(class_of({0x0f, 0x20, 0xc0}) == TrapClass::ControlRegister);  // mov eax, cr0
    CHECK(class_of({0x0f, 0x06}) == TrapClass::ControlRegister);        // clts
    CHECK(class_of({0x0f, 0x01, 0x10}) == TrapClass::DescriptorTable);  // lgdt [eax]
    CHECK(class_of({0x0f, 0x01, 0x18}) == TrapClass::DescriptorTable);  // lidt [eax]
    CHECK(class_of({0x0f, 0x00, 0xd8}) == TrapClass::DescriptorTable);  // ltr ax
    CHECK(class_of({0xcd, 0x80}) == TrapClass::Interrupt);              // int 0x80
    CHECK(class_of({0xcf}) == TrapClass::Interrupt);                    // iretd
    CHECK(class_of({0x0f, 0x30}) == TrapClass::Msr);                    // wrmsr
    CHECK(class_of({0x0f, 0x34}) == TrapClass::FastSystemCall);         // sysenter
    CHECK(class_of({0x0f, 0x09}) == TrapClass::Cache);                  // wbinvd
    CHECK(class_of({0x8e, 0xd8}) == TrapClass::Other);                  // mov ds, ax
    CHECK(class_of({0x89, 0xd8}) == TrapClass::Other);                  // mov eax, ebx
    // Every class has a reference handler.
    const TrapHandlers reference = TrapHandlers::reference();
    for (size_t c = 0; c < size_t(TrapClass::Count); ++c) CHECK((reference.table[c] != nullptr));
}

TEST_CASE("trap handlers: the reference table runs hello exactly as trap-emulate does") {
    const auto native = test::run_model("hello", "native");
    const auto technique = test::run_model("hello", "trap-emulate");
    const Run r = run_trap_and_emulate("hello", TrapHandlers::reference());
    CHECK(r.stop == Outcome::Halted);
    CHECK(compare_states(native, r.final_state, r.output).equivalent);
    CHECK(r.instructions == technique.instructions);
    CHECK(r.counters.traps == technique.counters.traps);
    CHECK(r.counters.traps.at("#GP (cli)") == 1);
    CHECK(r.counters.cycles == technique.counters.cycles);
}

TEST_CASE("trap handlers: a wrong CLI handler in the table breaks equivalence") {
    const auto native = test::run_model("hello", "native");
    TrapHandlers handlers = TrapHandlers::reference();
    handlers[TrapClass::InterruptFlag] = cli_as_sti;
    const Run r = run_trap_and_emulate("hello", handlers);
    const Equivalence e = compare_states(native, r.final_state, r.output);
    CHECK_FALSE(e.equivalent);
    // The virtual IF stayed set: hello's final HLT no longer stops it.
    CHECK(r.stop != Outcome::Halted);
    CHECK((r.final_state.cpu.eflags & flags::IF) != 0);
    CHECK((native.final_state.cpu.eflags & flags::IF) == 0);
}

TEST_CASE("trap handlers: a CLI handler written from the SDM keeps equivalence") {
    const auto native = test::run_model("hello", "native");
    const auto technique = test::run_model("hello", "trap-emulate");
    TrapHandlers handlers = TrapHandlers::reference();
    handlers[TrapClass::InterruptFlag] = cli_sti_by_hand;
    const Run r = run_trap_and_emulate("hello", handlers);
    CHECK(r.stop == Outcome::Halted);
    CHECK(compare_states(native, r.final_state, r.output).equivalent);
    CHECK(r.instructions == technique.instructions);
    CHECK(r.counters.traps == technique.counters.traps);
}

namespace {

// A VMM whose shadow GDT gives user code segments DPL 2: an IRET from the
// deprivileged kernel (ring 3) to user code (RPL 3) then faults, so the
// return to user mode traps instead of passing as a same-ring return.
class UserReturnsTrap : public TrapAndEmulate {
  public:
    using TrapAndEmulate::TrapAndEmulate;

  protected:
    uint8_t shadow_access(uint8_t access) const override {
        const bool code = (access & 0x18) == 0x18, conforming = access & 0x04;
        if (code && !conforming && ((access >> 5) & 3) == 3)
            return uint8_t((access & ~0x60) | 0x40);
        return TrapAndEmulate::shadow_access(access);
    }
};

}  // namespace

TEST_CASE("trap handlers: a VMM's own shadow descriptors plug in, and IRET to ring 3 traps") {
    const auto native = test::run_model("mb-syscall", "native", "20");
    const auto plain = test::run_model("mb-syscall", "trap-emulate", "20");
    REQUIRE_FALSE(plain.divergences.empty());  // the known same-ring IRET
    GuestConfig config;
    config.image_path = test::guest("mb-syscall");
    config.name = "mb-syscall";
    config.cmdline = "20";
    SimulatedMachine machine(config);
    UserReturnsTrap vmm(machine);
    Cpu cpu(machine.ram(), vmm);
    machine.attach(cpu);
    machine.boot(cpu.state());
    vmm.start(cpu);
    const Stop stop = vmm.run(cpu, 1'000'000);
    CHECK(outcome_name(stop.outcome) == native.outcome);
    FinalState f;
    f.cpu = vmm.guest_view(cpu);
    f.undefined_flags = cpu.undefined_flags();
    f.memory_hash = memory_hash(machine.ram());
    const Equivalence e = compare_states(native, f, machine.output());
    CHECK_MESSAGE(e.equivalent, e.first_difference);
    CHECK(vmm.divergences().empty());
    CHECK(cpu.counters().instructions == native.instructions);
    // The first IRET to ring 3 and the returns from the 20 int 0x80 (the
    // 21st, EAX = 1, ends the run in the kernel).
    CHECK(vmm.counters().traps.at("#GP (iretd)") == 21);
}

TEST_CASE("a guest image given in memory runs as the same image from its file") {
    const auto from_file = test::run_model("hello", "native");
    GuestConfig config;
    config.name = "hello";
    config.image = vmb::read_image_file(test::guest("hello"));
    RunOptions o;
    o.guest = config;
    o.technique = "native";
    const RunResult from_memory = run_guest(o);
    CHECK(from_memory.outcome == "halted");
    CHECK(from_memory.output == from_file.output);
    CHECK(from_memory.instructions == from_file.instructions);
    CHECK(from_memory.final_state.memory_hash == from_file.final_state.memory_hash);
}
