// `ptv vmm ...`: the CPU model and its techniques. These verbs run in
// ptv-vmm, a program of their own that `ptv vmm` executes, because the
// model links Zydis, which Debian ships only as a shared library, while
// `ptv` itself is a static binary for start-up time.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "../commands.hpp"
#include "ptv/vmm/run.hpp"

namespace ptv::cli {

struct VmmGuestOptions {
    std::string guest;
    std::string cmdline;
    uint32_t memory_mib = 64;
    uint64_t max_instructions = 200'000'000;
    bool json = false;
};

// Adds the options every verb shares (guest, --cmdline, --memory, ...).
void add_guest_options(CLI::App& cmd, VmmGuestOptions& o);
// RunOptions for one technique from the shared options.
vmm::RunOptions run_options(const VmmGuestOptions& o, const std::string& technique);

Commands vmm_run_commands(CLI::App& vmm);         // run          (vmm_run.cpp)
Commands vmm_compare_commands(CLI::App& vmm);     // compare      (vmm_compare.cpp)
Commands vmm_explain_commands(CLI::App& vmm);     // explain      (vmm_explain.cpp)
Commands vmm_vmcs_commands(CLI::App& vmm);        // vmcs         (vmm_vmcs.cpp)
Commands vmm_microbench_commands(CLI::App& vmm);  // microbench (vmm_microbench.cpp)
Commands vmm_problem_commands(CLI::App& vmm);     // problem      (vmm_problem.cpp)

// The counter table of one run, as `ptv vmm run` prints it.
std::string counter_table(const vmm::RunResult& r);
std::string outcome_line(const vmm::RunResult& r);

}  // namespace ptv::cli
