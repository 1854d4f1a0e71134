// What `ptv cluster place` and `ptv cluster rebalance` do on the real
// cluster: the decision is the shared policy's (ptv/cluster/placement.hpp,
// rebalance.hpp, the same code `ptv cluster sim` runs), the action goes to
// the hosts' management services.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/cluster/hosts.hpp"
#include "ptv/cluster/placement.hpp"
#include "ptv/cluster/rebalance.hpp"

namespace ptv::cluster {

// A request a host's service refused or failed (status 1); its refusals of
// a mistake in the request are ptv::UsageError (status 2).
class HostError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct PlaceRequest {
    Vm vm;
    std::string guest;  // absolute path of the image
    std::string cmdline;
    std::string restart = "never";
    PlacePolicy policy = PlacePolicy::FirstFit;
    // A host named by the user instead of the policy's choice (manual
    // placement); the VM must still fit on it.
    std::string host;
    bool start = true;
};

struct Placed {
    std::size_t host = 0;
    nlohmann::json vm;  // the host's row for it
};

// Picks a host by the policy and creates (and starts) the VM there. A VM
// that fits nowhere, or whose name the cluster has, is a UsageError and
// nothing is created; a VM that does not start is removed again.
Placed place_vm(ClusterConfig& config, const PlaceRequest& request);

struct MoveOutcome {
    Move move;
    std::string kind;  // "live" (running: a live migration), "cold" (no worker: its record)
    bool ok = false;
    std::string error;
    double downtime_ms = 0, total_ms = 0;
    nlohmann::json report;  // the migration's own report (live)
};

struct RebalanceOptions {
    RebalancePolicy policy = RebalancePolicy::Consolidate;
    bool dry_run = false;
    std::string mode = "precopy";  // of a live migration
    int first_port = 7400;         // each live migration listens on the next
};

// Plans with the policy and, unless dry_run, carries the moves out in
// order; a move that fails stops the rest (the VM stays where it was).
std::vector<MoveOutcome> rebalance(ClusterConfig& config, const RebalanceOptions& options,
                                   Plan& plan, const Say& say);

}  // namespace ptv::cluster
