// A virtualization technique, as the CPU model sees it: a Platform. The
// base class is the bare machine's wiring (device accesses go straight to
// the motherboard) plus what every technique counts; native.cpp,
// trap_and_emulate.cpp, vmx.cpp and paravirt.cpp each change only what
// their technique changes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/vmm/cpu.hpp"
#include "ptv/vmm/machine.hpp"

namespace ptv::vmm {

// Where the guest saw something other than what the bare machine would
// have shown it: the sensitive-but-unprivileged instructions of Robin &
// Irvine (2000) under a VMM that only traps privileged ones.
struct Divergence {
    uint32_t eip = 0;
    std::string instruction;  // Intel syntax
    std::string what;         // "pushf pushed IF=1; on the bare machine IF=0"
};

// One transition into the VMM, for the trace.
struct Transition {
    std::string kind;   // "trap", "vmexit", "hypercall", "reflect", "divergence"
    std::string cause;  // "#GP (cli)", "I/O instruction", ...
    uint32_t eip = 0;
    std::string instruction;
    uint64_t instructions = 0;  // guest instructions executed before it
    nlohmann::json args = nullptr;
    std::string category = "trap";  // the trace category ("bt" for binary translation)
};

struct TechniqueCounters {
    std::map<std::string, uint64_t> traps;  // by cause
    std::map<std::string, uint64_t> exits;  // VM exits by basic exit reason (SDM names)
    uint64_t hypercalls = 0;
    uint64_t device_accesses = 0;
    uint64_t reflected = 0;  // guest exceptions/INT n the VMM delivered itself
    uint64_t cycles = 0;     // modelled, beyond one per instruction
};

class Technique : public Platform {
  public:
    explicit Technique(SimulatedMachine& machine) : machine_(machine) {}
    virtual std::string_view name() const = 0;
    // Called once the CPU holds the boot state, before the first instruction.
    virtual void start(Cpu& cpu) { cpu_ = &cpu; }
    // The state the guest believes it is in (a VMM's virtual CPU), which
    // is what equivalence compares.
    virtual CpuState guest_view(const Cpu& cpu) const { return cpu.state(); }
    // Technique-specific details for --json (the VMX model's VMCS).
    virtual nlohmann::json details() const { return nullptr; }
    // Runs the guest: the CPU's own loop, unless the technique drives the
    // CPU itself (binary translation runs translated units).
    virtual Stop run(Cpu& cpu, uint64_t budget) { return cpu.run(budget); }

    // Platform: the bare machine's wiring.
    uint32_t port_in(Cpu& cpu, uint16_t port, uint8_t size) override;
    void port_out(Cpu& cpu, uint16_t port, uint8_t size, uint32_t value) override;
    uint32_t mmio_read(Cpu& cpu, uint32_t address, uint8_t size) override;
    void mmio_write(Cpu& cpu, uint32_t address, uint8_t size, uint32_t value) override;
    void on_hlt(Cpu& cpu) override;
    void timer(Cpu& cpu) override { machine_.timer(cpu); }

    const TechniqueCounters& counters() const { return counters_; }
    const std::vector<Divergence>& divergences() const { return divergences_; }
    const std::vector<Transition>& transitions() const { return transitions_; }
    void keep_transitions(size_t capacity) { transition_capacity_ = capacity; }

  protected:
    uint32_t device(Cpu& cpu, vnd::ExitReason reason, uint32_t address, uint8_t size, bool is_write,
                    uint32_t value);
    void note(Transition t);
    bool tracing() const { return transition_capacity_ > 0; }
    void diverged(Cpu& cpu, uint32_t eip, std::string what);

    SimulatedMachine& machine_;
    Cpu* cpu_ = nullptr;
    TechniqueCounters counters_;
    std::vector<Divergence> divergences_;
    std::vector<Transition> transitions_;
    size_t transition_capacity_ = 0;
    uint64_t transitions_dropped_ = 0;
};

// "native", "trap-emulate", "vmx", "paravirt", "binary-translation".
std::unique_ptr<Technique> make_technique(std::string_view name, SimulatedMachine& machine);
const std::vector<std::string>& technique_names();

}  // namespace ptv::vmm
