// Rebalancing a running cluster with live migrations:
//
//   consolidate  empty the least-used hosts onto the others so that they
//                can be powered off (saving energy);
//   balance      move VMs from the most to the least loaded hosts until
//                the loads are even.
//
// A plan is a list of moves, carried out in order; each move is a live
// migration. One implementation, used by both substrates: `ptv cluster
// sim` and `ptv cluster rebalance`. Both rules are deterministic greedy
// heuristics (the exact problem, bin packing, is NP-hard):
//
// consolidate. A host is *in use* when it is on and runs a VM. Repeat:
//   take the hosts in use that may still be emptied (neither emptied nor
//   given a VM by an earlier step) in order of memory used, least first
//   (ties: the higher index first); for each in turn, try to place all its
//   VMs, largest memory first (ties: the order they run in on the host),
//   by best fit (the host each leaves with the least free memory; ties:
//   the lower index) on the other hosts in use that are not emptied,
//   counting the VMs already placed in this try. The first host whose VMs
//   all find a place is emptied: its moves are added to the plan, it goes
//   to `freed`, and the hosts that received VMs can no longer be emptied
//   (so no VM moves twice, nor onto a host that is emptied later). Stop
//   when no host can be emptied. Idle hosts (on, no VMs) take no VMs:
//   moving onto one would not reduce the hosts in use.
//
// balance. The load of a host is its CPU load relative to its CPUs
//   (Host::cpu_share); the spread is the largest load minus the smallest
//   over the hosts that are on. Repeat: the most loaded host (ties: the
//   lower index) offers each of its VMs (in the order they run on it) to
//   the least loaded other host the VM fits on (ties: the lower index);
//   of these moves take the one that leaves the smallest spread (ties: the
//   earlier VM), if it reduces the spread by more than kBalanceEpsilon.
//   Stop when no move does, or after 2 x (VMs on hosts that are on) moves.
//   A host's last VM never moves (emptying hosts is consolidate's job), so
//   balance frees no host.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/cluster/cluster.hpp"

namespace ptv::cluster {

enum class RebalancePolicy { Consolidate, Balance };

// "consolidate", "balance" (nothing for any other text); name() gives the
// same words back.
std::optional<RebalancePolicy> parse_rebalance_policy(std::string_view text);
std::string_view name(RebalancePolicy policy);

// A move under balance must narrow the spread by more than this.
inline constexpr double kBalanceEpsilon = 1e-9;

struct Move {
    std::string vm;
    std::size_t from = 0, to = 0;  // host indices
    uint64_t memory_mib = 0;
};

struct Plan {
    std::vector<Move> moves;
    // Hosts that ran VMs before and none after (consolidate powers them off),
    // in the order they were emptied.
    std::vector<std::size_t> freed;
};

Plan plan_rebalance(const Cluster& cluster, RebalancePolicy policy);

// The cluster after the plan's moves (hosts in `freed` switched off). Each
// move takes the VM of its name off host `from` and appends it to host
// `to`'s VMs. Throws std::invalid_argument for a move whose host index is
// out of range or whose VM is not on its `from` host. Call it qualified,
// ptv::cluster::apply: Cluster is a std::vector, so an unqualified call with
// a non-const Plan also finds std::apply by argument-dependent lookup.
Cluster apply(Cluster cluster, const Plan& plan);

}  // namespace ptv::cluster
