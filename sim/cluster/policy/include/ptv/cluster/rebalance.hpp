// Rebalancing a running cluster with live migrations:
//
//   consolidate  empty the least-used hosts onto the others so that they
//                can be powered off (saving energy);
//   balance      move VMs from the most to the least loaded hosts until
//                the loads are even.
//
// A plan is a list of moves, carried out in order; each move is a live
// migration. One implementation, used by both substrates: `ptv cluster
// sim` and `ptv cluster rebalance`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/cluster/cluster.hpp"

namespace ptv::cluster {

enum class RebalancePolicy { Consolidate, Balance };

std::optional<RebalancePolicy> parse_rebalance_policy(std::string_view text);
std::string_view name(RebalancePolicy policy);

struct Move {
    std::string vm;
    std::size_t from = 0, to = 0;  // host indices
    uint64_t memory_mib = 0;
};

struct Plan {
    std::vector<Move> moves;
    // Hosts that ran VMs before and none after (consolidate powers them off).
    std::vector<std::size_t> freed;
};

Plan plan_rebalance(const Cluster& cluster, RebalancePolicy policy);

// The cluster after the plan's moves (hosts in `freed` switched off).
Cluster apply(Cluster cluster, const Plan& plan);

}  // namespace ptv::cluster
