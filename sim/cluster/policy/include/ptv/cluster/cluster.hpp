// A cluster as a placement policy sees it: hosts with a memory and CPU
// capacity, and the VMs each one runs. Both substrates fill it in: the
// cluster simulator (sim/cluster/sim) from a modelled cluster, the real
// cluster (`ptv cluster`) from every host's management service.
//
// Memory is the hard limit (a VM's RAM must fit in the host's), CPU is
// shared: a host can be overcommitted, and balancing evens out the load.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::cluster {

struct Vm {
    std::string name;
    uint64_t memory_mib = 0;
    // CPU demand, in CPUs (1.0 = one busy vCPU).
    double load = 0;
};

struct Host {
    std::string name;
    uint64_t memory_mib = 0;  // capacity
    double cpus = 0;          // capacity
    // A host that is off takes no VM (consolidation powers hosts off).
    bool on = true;
    std::vector<Vm> vms;

    uint64_t memory_used() const;
    uint64_t memory_free() const;
    double load() const;
    // The share of the host's memory in use, 0..1.
    double memory_share() const;
    bool fits(const Vm& vm) const;
};

using Cluster = std::vector<Host>;

}  // namespace ptv::cluster
