// The container half of `ptv compare container-vs-vm`: a small workload run
// as containers and measured, so that it can stand beside the same workload
// as a VM. Everything here is measured, by run() and by commands inside.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/containers/inside_view.hpp"
#include "ptv/containers/run.hpp"

namespace ptv::containers {

struct ContainerTrial {
    // One per run of the workload (a command that prints a line and exits,
    // as the `hello` guest does): clone to exec, and the group's peak.
    std::vector<uint64_t> startup_ns;
    std::vector<uint64_t> peak_memory_bytes;
    std::string cgroup_kind;
    InsideView inside;  // what the container's PID 1 saw
    InsideView host;    // what ptv sees on the host, for comparison
    // A process inside killed by SIGSEGV: the container's status says so,
    // and ptv (the host) goes on.
    RunStats fault;
};

// The workload, and the command of the fault.
std::vector<std::string> workload_command();
std::vector<std::string> fault_command();

// `runs` runs of the workload, one look inside, one fault, in containers
// made from `base` (its command and output descriptors are replaced; the
// workload's and the fault's output goes to /dev/null).
ContainerTrial measure_container(int runs, const RunOptions& base = {});

// The middle value (the lower of the two middle ones for an even count);
// 0 for none.
uint64_t median(std::vector<uint64_t> values);

}  // namespace ptv::containers
