// A host's memory and CPU sums, and whether a VM fits (see cluster.hpp).
#include "ptv/cluster/cluster.hpp"

#include <limits>

namespace ptv::cluster {

uint64_t Host::memory_used() const {
    uint64_t used = 0;
    for (const auto& vm : vms) used += vm.memory_mib;
    return used;
}

uint64_t Host::memory_free() const {
    const uint64_t used = memory_used();
    return used >= memory_mib ? 0 : memory_mib - used;
}

double Host::load() const {
    double sum = 0;
    for (const auto& vm : vms) sum += vm.load;
    return sum;
}

double Host::memory_share() const {
    return memory_mib == 0 ? 0 : double(memory_used()) / double(memory_mib);
}

double Host::cpu_share() const {
    const double demand = load();
    if (cpus > 0) return demand / cpus;
    return demand > 0 ? std::numeric_limits<double>::infinity() : 0;
}

bool Host::fits(const Vm& vm) const {
    // Memory is the hard limit: a VM's RAM is not shared (no ballooning or
    // page sharing in the model), while CPU time is.
    return on && memory_used() + vm.memory_mib <= memory_mib;
}

}  // namespace ptv::cluster
