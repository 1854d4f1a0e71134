// What a cluster runs now, read from each host's management service: the
// placement policies' view (ptv/cluster/cluster.hpp) and the rows `ptv
// cluster status` prints.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/cluster/cluster.hpp"
#include "ptv/cluster/hosts.hpp"

namespace ptv::cluster {

struct VmStatus {
    std::string name, state;
    uint64_t memory_mib = 0;
    double load = 0;  // as placed (--load)
    pid_t pid = 0;    // its worker, 0 without one
    double cpu = 0;   // measured: the worker's share of a CPU since the last sample
};

struct HostStatus {
    bool reachable = false;
    std::string error;  // why not
    std::vector<VmStatus> vms;
};

struct ClusterView {
    ClusterConfig config;
    std::vector<HostStatus> hosts;  // in config.hosts' order
    // The policies' view: an unreachable host is off (takes no VM).
    Cluster cluster() const;
    // The host a VM runs on (index), or -1.
    int host_of(const std::string& vm) const;
};

// Asks every host's service; with `sample_s` > 0, measures each worker's CPU
// use over that long.
ClusterView observe(const ClusterConfig& config, double sample_s = 0);

nlohmann::json to_json(const ClusterView& view);

}  // namespace ptv::cluster
