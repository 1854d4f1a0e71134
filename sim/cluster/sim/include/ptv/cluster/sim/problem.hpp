// The problems of `ptv cluster sim`: a cluster and a stream of VMs drawn
// from a seed (the OSTEP homework convention: -s SEED makes a problem,
// options override parts of it). Rules in sim/cluster/README.md.
//
// Time goes in steps of one second: VM i (0-based) arrives at t = i s; a VM
// that leaves does so at the start of a later step, before that step's
// arrival. After the last step (t = number of VMs) the rebalancing policy
// runs once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ptv/cluster/placement.hpp"
#include "ptv/cluster/rebalance.hpp"

namespace ptv::cluster::sim {

struct VmSpec {
    Vm vm;
    uint32_t arrives = 0;            // step (second)
    std::optional<uint32_t> leaves;  // a later step, or stays
};

struct Config {
    Cluster hosts;  // all on, no VMs yet
    std::vector<VmSpec> vms;
    PlacePolicy place = PlacePolicy::FirstFit;
    std::optional<RebalancePolicy> rebalance =
        RebalancePolicy::Consolidate;  // none: no rebalancing
};

struct Problem {
    Config cfg;
    uint64_t seed = 0;
};

inline constexpr std::size_t kMaxHosts = 16, kMaxVms = 200;

// The cluster and VMs of seed S (SplitMix64, the same on every machine).
// Hosts and VMs come from two streams of the seed, so that --hosts does not
// change the VMs drawn, nor --vms the hosts. Without a count, 4..6 hosts
// and 8..16 VMs. Throws ptv::UsageError for a count out of range
// (1..kMaxHosts hosts, 1..kMaxVms VMs).
Config generate(uint64_t seed, std::optional<std::size_t> hosts = std::nullopt,
                std::optional<std::size_t> vms = std::nullopt);

}  // namespace ptv::cluster::sim
