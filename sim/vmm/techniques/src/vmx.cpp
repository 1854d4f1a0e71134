#include "ptv/vmm/vmx.hpp"

#include <fmt/format.h>

#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

const char* exit_reason::name(uint16_t reason) {
    switch (reason) {
        case ExceptionOrNmi:
            return "Exception or non-maskable interrupt (NMI)";
        case ExternalInterrupt:
            return "External interrupt";
        case TripleFault:
            return "Triple fault";
        case Cpuid:
            return "CPUID";
        case Hlt:
            return "HLT";
        case CrAccess:
            return "Control-register accesses";
        case IoInstruction:
            return "I/O instruction";
        case Rdmsr:
            return "RDMSR";
        case Wrmsr:
            return "WRMSR";
        case EptViolation:
            return "EPT violation";
        default:
            return "?";
    }
}

void VmxModel::start(Cpu& cpu) {
    Technique::start(cpu);
    wants_intercepts = true;
    vmcs_.guest = cpu.state();
    vmcs_.cr0_read_shadow = cpu.state().cr0;
    entries_ = 1;  // VMLAUNCH
}

void VmxModel::vm_exit(Cpu& cpu, uint16_t reason, uint64_t qualification, uint32_t length,
                       uint64_t gpa) {
    // VM exit: save the guest state into the VMCS, record why, and (after
    // the handler) VMRESUME.
    vmcs_.guest = cpu.state();
    vmcs_.exit_reason = reason;
    vmcs_.exit_qualification = qualification;
    vmcs_.exit_instruction_length = length;
    vmcs_.guest_physical_address = gpa;
    ++counters_.exits[exit_reason::name(reason)];
    counters_.cycles += cost::kVmExit + cost::kVmmHandler;
    const uint32_t eip = cpu.state().eip;
    std::string text;
    if (transition_capacity_ || log_.size() < 10000) {
        const uint32_t at = cpu.state().seg[CS].base + eip;
        if (at < cpu.ram().size()) text = cpu.decoder().disassemble(cpu.ram().subspan(at), eip);
    }
    if (log_.size() < 10000) log_.push_back({reason, qualification, eip, length, gpa, text});
    note({"vmexit",
          exit_reason::name(reason),
          eip,
          text,
          cpu.counters().instructions,
          {{"reason", reason}, {"qualification", fmt::format("{:#x}", qualification)}}});
    ++entries_;  // VMRESUME
}

bool VmxModel::intercept(Cpu& cpu, const DecodedInstruction& insn) {
    const auto m = ZydisMnemonic(insn.mnemonic);
    const CpuState& s = cpu.state();
    if (m == ZYDIS_MNEMONIC_HLT && vmcs_.hlt_exiting() && s.cpl() == 0) {
        vm_exit(cpu, exit_reason::Hlt, 0, insn.length);
        // The VMM completes the HLT (RIP past it, as KVM reports it) and
        // hands the exit to the dispatcher and the exit policy, as the KVM
        // worker does.
        cpu.state().eip += insn.length;
        cpu.retire();
        vnd::Exit e = machine_.make_exit(cpu, vnd::ExitReason::Hlt, 0, 0, false);
        if (auto verdict = machine_.dispatch(cpu, e))
            cpu.request_stop(verdict->message, verdict->outcome);
        return true;
    }
    if (insn.io && vmcs_.unconditional_io_exiting() && s.cpl() <= s.iopl()) {
        // Exit qualification for I/O (SDM table 27-5): size - 1, direction
        // (1 = IN), string, REP, operand encoding (1 = immediate), port.
        const bool in = m == ZYDIS_MNEMONIC_IN || m == ZYDIS_MNEMONIC_INSB ||
                        m == ZYDIS_MNEMONIC_INSW || m == ZYDIS_MNEMONIC_INSD;
        const bool string = !(m == ZYDIS_MNEMONIC_IN || m == ZYDIS_MNEMONIC_OUT);
        const Operand& port_op = m == ZYDIS_MNEMONIC_IN ? insn.op[1] : insn.op[0];
        const bool imm = !string && port_op.kind == Operand::Kind::Imm;
        const uint16_t port = imm ? uint16_t(port_op.imm) : uint16_t(s.gpr[EDX]);
        const uint8_t size = string ? (m == ZYDIS_MNEMONIC_INSB || m == ZYDIS_MNEMONIC_OUTSB   ? 1
                                       : m == ZYDIS_MNEMONIC_INSW || m == ZYDIS_MNEMONIC_OUTSW ? 2
                                                                                               : 4)
                                    : (m == ZYDIS_MNEMONIC_IN ? insn.op[0].size : insn.op[1].size);
        const uint64_t q = uint64_t(size - 1) | (in ? 8u : 0u) | (string ? 16u : 0u) |
                           (insn.rep ? 32u : 0u) | (imm ? 64u : 0u) | (uint64_t(port) << 16);
        vm_exit(cpu, exit_reason::IoInstruction, q, insn.length);
        // The VMM emulates the instruction: the processor model carries it
        // out, and its port access (port_in/port_out) is this exit's one
        // notification to the dispatcher.
        return false;
    }
    if (m == ZYDIS_MNEMONIC_MOV && insn.privileged && s.cpl() == 0 &&
        insn.op[0].reg_class == Operand::RegClass::Cr) {
        // MOV to CR (SDM table 27-3): CR number, access type 0, register.
        const uint8_t cr = insn.op[0].reg;
        const uint32_t value = cpu.reg(insn.op[1].reg, 4);
        const bool exits = (cr == 3 && vmcs_.cr3_load_exiting()) ||
                           (cr == 0 && ((value ^ s.cr0) & vmcs_.cr0_guest_host_mask)) ||
                           (cr == 4 && ((value ^ s.cr4) & vmcs_.cr4_guest_host_mask));
        if (exits)
            vm_exit(cpu, exit_reason::CrAccess, uint64_t(cr) | (uint64_t(insn.op[1].reg) << 8),
                    insn.length);
        if (cr == 0) vmcs_.cr0_read_shadow = value;
        return false;
    }
    if (m == ZYDIS_MNEMONIC_MOV && insn.privileged && s.cpl() == 0 &&
        insn.op[1].reg_class == Operand::RegClass::Cr && insn.op[1].reg == 3 &&
        (vmcs_.primary_processor_controls & (1u << 16))) {
        vm_exit(cpu, exit_reason::CrAccess, 3u | (1u << 4) | (uint64_t(insn.op[0].reg) << 8),
                insn.length);
        return false;
    }
    if ((m == ZYDIS_MNEMONIC_RDMSR || m == ZYDIS_MNEMONIC_WRMSR) && s.cpl() == 0) {
        // No MSR bitmaps ("use MSR bitmaps" is 0): every RDMSR/WRMSR exits.
        vm_exit(cpu, m == ZYDIS_MNEMONIC_RDMSR ? exit_reason::Rdmsr : exit_reason::Wrmsr, 0,
                insn.length);
        return false;
    }
    if (m == ZYDIS_MNEMONIC_CPUID) {
        vm_exit(cpu, exit_reason::Cpuid, 0, insn.length);  // CPUID always exits
        return false;
    }
    return false;
}

bool VmxModel::on_event(Cpu& cpu, const Event& e) {
    if (e.kind == Event::Kind::External && (vmcs_.pin_based_controls & 1)) {
        vm_exit(cpu, exit_reason::ExternalInterrupt, 0, 0);
        return false;  // the VMM injects it back (VM-entry interruption information)
    }
    if (e.kind == Event::Kind::Exception && e.vector < 32 &&
        (vmcs_.exception_bitmap & (1u << e.vector))) {
        vmcs_.exit_interruption_information =
            e.vector | (3u << 8) | (e.has_error ? 1u << 11 : 0) | (1u << 31);
        vm_exit(cpu, exit_reason::ExceptionOrNmi, 0, 0);
    }
    counters_.cycles += cost::kHardwareEvent;
    return false;  // delivered through the guest's IDT in non-root operation
}

uint32_t VmxModel::mmio_read(Cpu& cpu, uint32_t address, uint8_t size) {
    // No RAM backs it: an EPT violation (qualification bit 0 = read).
    vm_exit(cpu, exit_reason::EptViolation, 1, 0, address);
    return Technique::mmio_read(cpu, address, size);
}

void VmxModel::mmio_write(Cpu& cpu, uint32_t address, uint8_t size, uint32_t value) {
    vm_exit(cpu, exit_reason::EptViolation, 2, 0, address);  // bit 1 = write
    Technique::mmio_write(cpu, address, size, value);
}

Stop VmxModel::run(Cpu& cpu, uint64_t budget) {
    Stop stop = Technique::run(cpu, budget);
    if (stop.outcome != Outcome::TripleFault && stop.outcome != Outcome::InvalidOpcode) return stop;
    // A triple fault is a VM exit (basic reason 2), a shutdown as KVM
    // reports it: the exit policy, not the processor model, names it, so a
    // grader gets the KVM worker's outcome and message.
    vm_exit(cpu, exit_reason::TripleFault, 0, 0);
    vnd::Exit e = machine_.make_exit(cpu, vnd::ExitReason::Shutdown, 0, 0, false);
    if (auto verdict = machine_.dispatch(cpu, e)) {
        stop.outcome = verdict->outcome;
        stop.detail = verdict->message;
    }
    return stop;
}

namespace {

nlohmann::json segment_json(const char* name, const Segment& s) {
    return {{"field", name},
            {"selector", fmt::format("{:#06x}", s.selector)},
            {"base", fmt::format("{:#010x}", s.base)},
            {"limit", fmt::format("{:#010x}", s.limit)},
            {"access_rights", fmt::format("{:#06x}", s.usable ? (s.access | (s.db ? 0x4000 : 0) |
                                                                 (s.limit > 0xfffff ? 0x8000 : 0))
                                                              : 0x10000)}};
}

std::string hex(uint64_t v) {
    return fmt::format("{:#x}", v);
}

}  // namespace

nlohmann::json VmxModel::details() const {
    const CpuState& g = vmcs_.guest;
    nlohmann::json segments = nlohmann::json::array();
    const char* names[] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (int i = 0; i < 6; ++i) segments.push_back(segment_json(names[i], g.seg[i]));
    segments.push_back(segment_json("LDTR", g.ldtr));
    segments.push_back(segment_json("TR", g.tr));
    nlohmann::json exits = nlohmann::json::array();
    for (const auto& r : log_)
        exits.push_back({{"exit_reason", r.reason},
                         {"name", exit_reason::name(r.reason)},
                         {"exit_qualification", hex(r.qualification)},
                         {"guest_rip", hex(r.rip)},
                         {"vm_exit_instruction_length", r.instruction_length},
                         {"guest_physical_address", hex(r.guest_physical_address)},
                         {"instruction", r.instruction}});
    return {
        {"vm_execution_controls",
         {{"pin_based_vm_execution_controls", hex(vmcs_.pin_based_controls)},
          {"external_interrupt_exiting", bool(vmcs_.pin_based_controls & 1)},
          {"primary_processor_based_vm_execution_controls", hex(vmcs_.primary_processor_controls)},
          {"hlt_exiting", vmcs_.hlt_exiting()},
          {"cr3_load_exiting", vmcs_.cr3_load_exiting()},
          {"cr3_store_exiting", bool(vmcs_.primary_processor_controls & (1u << 16))},
          {"unconditional_io_exiting", vmcs_.unconditional_io_exiting()},
          {"use_io_bitmaps", bool(vmcs_.primary_processor_controls & (1u << 25))},
          {"io_bitmap_a_address", hex(vmcs_.io_bitmap_a)},
          {"io_bitmap_b_address", hex(vmcs_.io_bitmap_b)},
          {"exception_bitmap", hex(vmcs_.exception_bitmap)},
          {"cr0_guest_host_mask", hex(vmcs_.cr0_guest_host_mask)},
          {"cr0_read_shadow", hex(vmcs_.cr0_read_shadow)},
          {"cr4_guest_host_mask", hex(vmcs_.cr4_guest_host_mask)},
          {"cr4_read_shadow", hex(vmcs_.cr4_read_shadow)}}},
        {"guest_state_area",
         {{"guest_cr0", hex(g.cr0)},
          {"guest_cr3", hex(g.cr3)},
          {"guest_cr4", hex(g.cr4)},
          {"guest_rip", hex(g.eip)},
          {"guest_rsp", hex(g.gpr[ESP])},
          {"guest_rflags", hex(g.eflags)},
          {"guest_gdtr_base", hex(g.gdtr.base)},
          {"guest_gdtr_limit", hex(g.gdtr.limit)},
          {"guest_idtr_base", hex(g.idtr.base)},
          {"guest_idtr_limit", hex(g.idtr.limit)},
          {"segments", segments}}},
        {"host_state_area",
         {{"host_cr0", hex(vmcs_.host_cr0)},
          {"host_cr3", hex(vmcs_.host_cr3)},
          {"host_cr4", hex(vmcs_.host_cr4)},
          {"host_rip", vmcs_.host_rip}}},
        {"vm_exit_information",
         {{"exit_reason", vmcs_.exit_reason},
          {"exit_qualification", hex(vmcs_.exit_qualification)},
          {"vm_exit_instruction_length", vmcs_.exit_instruction_length},
          {"guest_physical_address", hex(vmcs_.guest_physical_address)}}},
        {"vm_entries", entries_},
        {"exits", exits},
        {"exits_logged", log_.size()}};
}

}  // namespace ptv::vmm
