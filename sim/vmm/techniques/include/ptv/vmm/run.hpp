// Running one guest under one technique, and what comes out: the outcome
// (the kit's one table, common/outcome.hpp, shared with the KVM worker), the
// counters, the final guest state and the equivalence check against native.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ptv/vmm/machine.hpp"
#include "ptv/vmm/technique.hpp"

namespace ptv::vmm {

struct RunOptions {
    GuestConfig guest;
    std::string technique = "native";
    uint64_t max_instructions = 200'000'000;  // --max-instructions
    std::string trace_path;                   // "" : no trace
    size_t trace_capacity = 100'000;          // transitions kept for the trace
    bool listing = false;                     // binary translation: --listing
    bool graph = false;                       // binary translation: draw the cache (--dot)
};

// The final guest state, in the KVM worker's "final_state" keys.
struct FinalState {
    CpuState cpu;
    uint32_t undefined_flags = 0;  // EFLAGS bits the SDM leaves undefined at the end
    uint64_t memory_hash = 0;
    uint64_t memory_bytes = 0;
    nlohmann::json to_json() const;
};

struct RunResult {
    std::string guest, technique;
    std::string outcome;  // "halted", "guest-exit", "triple-fault", "unsupported-instruction", ...
    int status = 0;
    std::string message;
    uint32_t stop_eip = 0;
    std::string output;               // the guest's console output
    std::vector<std::string> screen;  // the VGA text screen at the end (25 lines)
    FinalState final_state;
    TechniqueCounters counters;
    // Device accesses by the device that took them (the rows of the KVM
    // worker's exit table: "uart", "pit", "unclaimed-pio", ...).
    std::map<std::string, uint64_t> device_exits;
    // Work devices finished after the exit that started it (the PV disk's
    // requests), as the dispatcher counted them.
    uint64_t completions = 0;
    uint64_t instructions = 0;
    uint64_t exceptions = 0;
    uint64_t cycles = 0;  // modelled (cost_model.hpp)
    uint64_t wall_ns = 0;
    std::vector<Divergence> divergences;
    nlohmann::json details = nullptr;  // the VMCS, for vmx
    nlohmann::json trace = nullptr;    // {"path", "events"} when traced
    std::string listing;               // the translation cache, beside the guest code
    std::string graph;                 // the translation cache as Graphviz DOT text
    nlohmann::json to_json() const;
};

RunResult run_guest(const RunOptions& options);

// Equivalence with the native run (Popek & Goldberg's first property):
// the same general registers, EFLAGS (bits defined for both), memory and
// device output. `first_difference` names the first that differs.
struct Equivalence {
    bool equivalent = true;
    std::string first_difference;
    std::vector<std::string> differences;
};
Equivalence compare_states(const RunResult& native, const FinalState& other,
                           const std::string& other_output);

}  // namespace ptv::vmm
