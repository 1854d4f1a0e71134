// One run of the cluster simulator: each arriving VM placed by the
// placement policy, departures taken off their hosts, then one
// rebalancing plan carried out as live migrations one after another (each
// priced by migration_cost), and the hosts it frees powered off.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ptv/cluster/sim/migration_cost.hpp"
#include "ptv/cluster/sim/problem.hpp"

namespace ptv::cluster::sim {

// The decisions the simulator asks for. By default the library's rules
// (place() and plan_rebalance() with the configured policies); a policy of
// one's own plugs in here.
struct Policies {
    std::function<std::optional<std::size_t>(const Cluster&, const Vm&)> place;
    std::function<Plan(const Cluster&)> rebalance;  // empty: no rebalancing
};
Policies library_policies(const Config& c);

struct Placement {
    uint32_t step = 0;
    std::string vm;
    std::optional<std::size_t> host;  // nothing: fits nowhere
};

struct Departure {
    uint32_t step = 0;
    std::string vm;
    std::size_t host = 0;
};

struct Migration {
    Move move;
    MigrationCost cost;
    double start_s = 0, end_s = 0;  // one after another from t = number of VMs
};

struct Result {
    std::vector<Placement> placements;  // one per VM, in arrival order
    std::vector<Departure> departures;  // of VMs that were placed
    Cluster before;                     // after the last step, before rebalancing
    Plan plan;
    std::vector<Migration> migrations;  // the plan's moves, priced
    Cluster after;                      // the plan applied, freed hosts off
    uint64_t bytes_total = 0;
    double rebalance_start_s = 0, end_s = 0;

    std::vector<std::string> fits_nowhere() const;
};

Result simulate(const Config& c);
Result simulate(const Config& c, const Policies& policies);

}  // namespace ptv::cluster::sim
