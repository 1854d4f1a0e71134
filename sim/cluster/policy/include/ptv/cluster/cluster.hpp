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

    // The sum of its VMs' memory; what is left of memory_mib (0 when
    // overfull).
    uint64_t memory_used() const;
    uint64_t memory_free() const;
    // The sum of its VMs' loads, in CPUs.
    double load() const;
    // The share of the host's memory in use, 0..1 (0 for a host of no memory).
    double memory_share() const;
    // The CPU load relative to the host's CPUs, load() / cpus: what
    // `balance` evens out across hosts of different sizes. Above 1 the host
    // is overcommitted. A host of no CPUs: 0 when idle, else +infinity.
    double cpu_share() const;
    // The VM can go here: the host is on and its memory holds it,
    // memory_used() + vm.memory_mib <= memory_mib. CPU is not checked (it
    // may be overcommitted).
    bool fits(const Vm& vm) const;
};

using Cluster = std::vector<Host>;

}  // namespace ptv::cluster
