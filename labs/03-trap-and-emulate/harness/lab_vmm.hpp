// The lab's VMM: the kit's trap-and-emulate technique (sim/vmm) with the
// student's handlers in its table, behind the narrow Vcpu of
// include/ptv/lab/trap/vcpu.hpp. The instructions the lab does not ask for
// (INT n, SYSENTER, INS/OUTS, LLDT, LMSW, ...) keep the kit's handlers.
#pragma once

#include <string>

#include "ptv/lab/trap/handlers.hpp"
#include "ptv/vmm/trap_and_emulate.hpp"

namespace ptv::lab::trap {

class LabVmm : public vmm::TrapAndEmulate, private Vcpu {
  public:
    // Student: the lab's handlers and check_popf; Kit: the kit's reference
    // table (what the trap counts are checked against); KitWithStudentPopf:
    // the kit's handlers and the lab's check_popf (part 4 on its own).
    enum class Table { Student, Kit, KitWithStudentPopf };
    LabVmm(vmm::SimulatedMachine& machine, Table table);

    void start(vmm::Cpu& cpu) override;
    void after_sensitive(vmm::Cpu& cpu, const vmm::DecodedInstruction& insn,
                         const vmm::CpuState& before) override;

  protected:
    // User code descriptors (DPL 3, non-conforming) are shadowed with DPL
    // 2: an IRET from the deprivileged kernel to user code then faults
    // (DPL != RPL), so the VMM sees every return to user mode, which the
    // real processor would otherwise take as a same-ring return.
    uint8_t shadow_access(uint8_t access) const override;

  private:
    using StudentHandler = void (*)(Vcpu&, const Instruction&);
    vmm::TrapResult call(vmm::Cpu& cpu, const vmm::DecodedInstruction& d, StudentHandler fn);
    static LabVmm& self(vmm::VirtualCpu& v) { return static_cast<LabVmm&>(v); }
    static vmm::TrapResult on_interrupt_flag(vmm::VirtualCpu&, vmm::Cpu&,
                                             const vmm::DecodedInstruction&);
    static vmm::TrapResult on_halt(vmm::VirtualCpu&, vmm::Cpu&, const vmm::DecodedInstruction&);
    static vmm::TrapResult on_port_io(vmm::VirtualCpu&, vmm::Cpu&, const vmm::DecodedInstruction&);
    static vmm::TrapResult on_control_register(vmm::VirtualCpu&, vmm::Cpu&,
                                               const vmm::DecodedInstruction&);
    static vmm::TrapResult on_descriptor_table(vmm::VirtualCpu&, vmm::Cpu&,
                                               const vmm::DecodedInstruction&);
    static vmm::TrapResult on_interrupt(vmm::VirtualCpu&, vmm::Cpu&,
                                        const vmm::DecodedInstruction&);

    Instruction translate(vmm::Cpu& cpu, const vmm::DecodedInstruction& d, uint32_t eip) const;
    void pull();  // the kit's virtual CPU into virt_
    void push();  // virt_ into the kit's
    // Runs `f` with the processor in the guest's view, as the bare machine.
    template <class F>
    void in_guest_view(F f);

    // Vcpu
    VirtualRegisters& virt() override { return virt_; }
    uint32_t reg(uint8_t gpr, uint8_t size) const override;
    void set_reg(uint8_t gpr, uint32_t value, uint8_t size) override;
    uint32_t read(uint32_t linear, uint8_t size) override;
    void write(uint32_t linear, uint8_t size, uint32_t value) override;
    uint32_t pop(uint8_t size) override;
    uint32_t port_in(uint16_t port, uint8_t size) override;
    void port_out(uint16_t port, uint8_t size, uint32_t value) override;
    void load_segment(Sreg reg, uint16_t selector) override;
    void retire(const Instruction& insn) override;
    void retire_to(const Instruction& insn, uint32_t eip) override;
    void raise(uint8_t vector, uint32_t error_code) override;
    void halt() override;
    void report_divergence(const Instruction& insn, const std::string& what) override;
    uint32_t real_eflags() const override;
    void set_real_eflags(uint32_t value) override;
    uint32_t real_cr0() const override;

    Table table_;
    VirtualRegisters virt_;
    bool faulted_ = false;
};

}  // namespace ptv::lab::trap
