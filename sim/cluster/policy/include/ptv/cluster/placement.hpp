// Where a new VM goes: the initial placement of a VM in a cluster, as a
// bin-packing rule on memory (Hyper-V's cluster resource control and
// VMware DRS make the same first decision).
//
//   first-fit   the first host, in host order, it fits on
//   best-fit    the host it leaves with the least free memory (packs hosts)
//   worst-fit   the host it leaves with the most free memory (spreads VMs)
//   balance     the host with the lowest CPU load after placing it, the
//               load relative to the host's CPUs: (load() + vm.load) / cpus
//               (Host::cpu_share)
//
// Only hosts the VM fits on count (Host::fits: on, and memory_used() +
// vm.memory_mib <= memory_mib; CPU may be overcommitted). Ties go to the
// host that comes first; two CPU loads within 1e-9 of each other are a
// tie. One implementation, used by both substrates: `ptv cluster sim` and
// `ptv cluster place`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ptv/cluster/cluster.hpp"

namespace ptv::cluster {

enum class PlacePolicy { FirstFit, BestFit, WorstFit, Balance };

// "first-fit", "best-fit", "worst-fit", "balance" (nothing for any other
// text); name() gives the same words back.
std::optional<PlacePolicy> parse_place_policy(std::string_view text);
std::string_view name(PlacePolicy policy);

// The index of the host the VM goes to, or nothing when it fits on no
// host that is on (an empty cluster included).
std::optional<std::size_t> place(const Cluster& cluster, const Vm& vm, PlacePolicy policy);

}  // namespace ptv::cluster
