#include "ptv/vmm/technique.hpp"

#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

uint32_t Technique::device(Cpu& cpu, vnd::ExitReason reason, uint32_t address, uint8_t size,
                           bool is_write, uint32_t value) {
    ++counters_.device_accesses;
    counters_.cycles += cost::kDeviceAccess;
    vnd::Exit exit = machine_.make_exit(cpu, reason, address, size, is_write);
    return machine_.access(cpu, exit, value);
}

uint32_t Technique::port_in(Cpu& cpu, uint16_t port, uint8_t size) {
    return device(cpu, vnd::ExitReason::PortIo, port, size, false, 0);
}

void Technique::port_out(Cpu& cpu, uint16_t port, uint8_t size, uint32_t value) {
    device(cpu, vnd::ExitReason::PortIo, port, size, true, value);
}

uint32_t Technique::mmio_read(Cpu& cpu, uint32_t address, uint8_t size) {
    return device(cpu, vnd::ExitReason::Mmio, address, size, false, 0);
}

void Technique::mmio_write(Cpu& cpu, uint32_t address, uint8_t size, uint32_t value) {
    device(cpu, vnd::ExitReason::Mmio, address, size, true, value);
}

void Technique::on_hlt(Cpu& cpu) {
    // HLT does not leave the guest here (the VMX model's HLT exiting does):
    // the exit policy still says what it means, as for a KVM guest.
    vnd::Exit e = machine_.make_exit(cpu, vnd::ExitReason::Hlt, 0, 0, false);
    if (auto verdict = machine_.judge(cpu, e, vnd::Notification{}))
        cpu.request_stop(verdict->message, verdict->outcome);
}

void Technique::note(Transition t) {
    if (transitions_.size() < transition_capacity_)
        transitions_.push_back(std::move(t));
    else if (transition_capacity_)
        ++transitions_dropped_;
}

void Technique::diverged(Cpu& cpu, uint32_t eip, std::string what) {
    Divergence d{
        eip,
        cpu.decoder().disassemble(cpu.ram().subspan(std::min<size_t>(eip, cpu.ram().size())), eip),
        std::move(what)};
    if (divergences_.size() < 1000) divergences_.push_back(d);
    note({"divergence", d.what, eip, d.instruction, cpu.counters().instructions, nullptr});
}

}  // namespace ptv::vmm
