// The real cluster's trace, category `cluster`, in the events `ptv cluster
// sim` writes (sim/cluster/sim/report.hpp), so that the visualizer's
// cluster view (`ptv viz FILE --view cluster`) shows either: a host is a
// process, each VM a thread, a VM's stay on a host a span named after it,
// a migration a `migrate` span on the source with a flow arrow to the
// destination, a freed host a `power-off` instant.
//
// `ptv cluster up --trace FILE` starts it; each later command appends its
// events (one per line, the live form), and `ptv cluster down` closes the
// VMs' spans. Times are microseconds since the cluster came up.
#pragma once

#include <string>

#include "ptv/cluster/hosts.hpp"
#include "ptv/cluster/operations.hpp"

namespace ptv::cluster {

// Each does nothing when the cluster has no trace.
void trace_up(ClusterConfig& config);
void trace_place(ClusterConfig& config, const std::string& vm, std::size_t host,
                 std::string_view policy, uint64_t memory_mib, double load);
// A move that was carried out, from start to end (unix microseconds).
void trace_move(ClusterConfig& config, const MoveOutcome& move, double start_unix_us,
                double end_unix_us);
void trace_power_off(ClusterConfig& config, std::size_t host);
// At `down`: every VM's span ends now.
void trace_down(ClusterConfig& config);

double unix_us();

}  // namespace ptv::cluster
