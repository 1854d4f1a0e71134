#include "runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "lab_vmm.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/lab/harness.hpp"

namespace ptv::lab::trap {

GuestSpec kit_guest(const std::string& name, const std::string& cmdline) {
    std::string dir;
    if (const char* env = std::getenv("PTV_GUEST_DIR"); env && *env) dir = env;
#ifdef PTV_LAB_GUEST_DIR
    if (dir.empty()) dir = PTV_LAB_GUEST_DIR;
#endif
    const std::string path = dir + "/" + name + ".bin";
    if (dir.empty() || ::access(path.c_str(), R_OK) != 0)
        throw Failure(
            fmt::format("the guest image {}.bin is not where the kit built it ({}); "
                        "build the kit's `guests` target or set PTV_GUEST_DIR",
                        name, path));
    GuestSpec g;
    g.name = name;
    g.image_path = path;
    g.cmdline = cmdline;
    return g;
}

Run run(const GuestSpec& guest, Under under) {
    vmm::GuestConfig config;
    config.image_path = guest.image_path;
    config.image = guest.image;
    config.name = guest.name;
    config.cmdline = guest.cmdline;
    config.memory_mib = guest.memory_mib;
    vmm::SimulatedMachine machine(config);
    std::unique_ptr<vmm::Technique> technique;
    if (under == Under::Native)
        technique = vmm::make_technique("native", machine);
    else
        technique = std::make_unique<LabVmm>(
            machine, under == Under::StudentVmm ? LabVmm::Table::Student
                     : under == Under::KitVmm   ? LabVmm::Table::Kit
                                                : LabVmm::Table::KitWithStudentPopf);
    vmm::Cpu cpu(machine.ram(), *technique);
    machine.attach(cpu);
    machine.boot(cpu.state());
    technique->start(cpu);
    const vmm::Stop stop = technique->run(cpu, guest.budget);
    Run r;
    r.outcome = std::string(outcome_name(stop.outcome));
    vmm::RunResult& res = r.result;
    res.guest = guest.name;
    res.technique = std::string(technique->name());
    res.outcome = r.outcome;
    res.message = stop.detail;
    res.stop_eip = stop.eip;
    res.output = machine.output();
    res.final_state.cpu = technique->guest_view(cpu);
    res.final_state.undefined_flags = cpu.undefined_flags();
    res.final_state.memory_hash = memory_hash(machine.ram());
    res.final_state.memory_bytes = machine.ram().size();
    res.counters = technique->counters();
    res.instructions = cpu.counters().instructions;
    res.divergences = technique->divergences();
    return r;
}

}  // namespace ptv::lab::trap
