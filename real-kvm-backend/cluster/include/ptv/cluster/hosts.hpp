// The hosts of a cluster on one machine (`ptv cluster up|down`): host K is a
// network namespace with the address SUBNET.K on a bridge, and its own
// management service (`ptv vmms`) with its own state directory. What was made
// is written to STATE/cluster.json, so that `down` removes exactly that.
//
//   STATE/cluster.json           id, bridge, subnet, the hosts, each VM's load
//   STATE/hostK/vmms.sock        host K's management service
//   STATE/hostK/                 its state directory (vms/, trace.json, vmms.log)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ptv::cluster {

struct HostInfo {
    std::string name;     // host1 ...
    std::string netns;    // the namespace's name
    std::string address;  // on the bridge
    std::string veth;     // the pair's end on the bridge (the other is the host's eth0)
    uint64_t memory_mib = 0;
    double cpus = 0;
    std::string state_dir;  // the host's vmms state
    std::string socket;     // the host's vmms socket
};

struct ClusterConfig {
    std::string dir;     // STATE
    std::string id;      // short, unique on this machine; names the namespaces
    std::string bridge;  // in the root namespace, with SUBNET.254
    std::string subnet;  // "10.79.X"
    std::vector<HostInfo> hosts;
    // A VM's CPU demand, as given when it was placed (`--load`).
    std::map<std::string, double> vm_load;

    // The trace (cluster_trace.hpp): its file ("" for none), when the
    // cluster came up, each VM's track and where it has been since when.
    std::string trace;
    double t0_unix_us = 0;
    std::map<std::string, int> vm_tid;
    struct Stay {
        std::size_t host = 0;
        double since_us = 0;
    };
    std::map<std::string, Stay> vm_stay;

    const HostInfo* host(const std::string& name) const;
};

// $PTV_CLUSTER_DIR, else /run/ptvlab/cluster.
std::string default_cluster_dir();

// Throws ptv::UsageError when no cluster is up there.
ClusterConfig load_cluster(const std::string& dir);
void save_cluster(const ClusterConfig& config);

struct UpOptions {
    int hosts = 3;
    uint64_t memory_mib = 1024;  // each host's
    double cpus = 2;             // each host's
    std::string dir;
    std::string ptv;    // the ptv binary that runs each host's vmms
    std::string trace;  // the cluster trace's file ("" for none)
};

using Say = std::function<void(const std::string&)>;

// Brings the hosts up; on a failure removes what it made and throws.
ClusterConfig cluster_up(const UpOptions& options, const Say& say);
// Stops every host's service and VMs, removes the namespaces, the bridge
// and STATE. Whatever is already gone is skipped.
void cluster_down(const std::string& dir, const Say& say);

}  // namespace ptv::cluster
