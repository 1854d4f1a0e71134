// The cluster simulator's run (see simulate.hpp).
#include "ptv/cluster/sim/simulate.hpp"

#include <algorithm>

namespace ptv::cluster::sim {

namespace {

// Takes VM `name` off whichever host runs it; its host, or nothing.
std::optional<std::size_t> take_off(Cluster& c, const std::string& name) {
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto& vms = c[i].vms;
        auto it = std::find_if(vms.begin(), vms.end(), [&](const Vm& v) { return v.name == name; });
        if (it == vms.end()) continue;
        vms.erase(it);
        return i;
    }
    return std::nullopt;
}

}  // namespace

Policies library_policies(const Config& c) {
    Policies p;
    const PlacePolicy place_policy = c.place;
    p.place = [place_policy](const Cluster& cluster, const Vm& vm) {
        return place(cluster, vm, place_policy);
    };
    if (c.rebalance) {
        const RebalancePolicy rebalance_policy = *c.rebalance;
        p.rebalance = [rebalance_policy](const Cluster& cluster) {
            return plan_rebalance(cluster, rebalance_policy);
        };
    }
    return p;
}

std::vector<std::string> Result::fits_nowhere() const {
    std::vector<std::string> names;
    for (const auto& p : placements)
        if (!p.host) names.push_back(p.vm);
    return names;
}

Result simulate(const Config& c) {
    return simulate(c, library_policies(c));
}

Result simulate(const Config& c, const Policies& policies) {
    Result r;
    Cluster cluster = c.hosts;
    const auto steps = uint32_t(c.vms.size());
    for (uint32_t t = 0; t < steps; ++t) {
        // Departures first, in VM order: their memory is free for this
        // step's arrival.
        for (const auto& v : c.vms)
            if (v.leaves == t)
                if (auto host = take_off(cluster, v.vm.name))
                    r.departures.push_back({t, v.vm.name, *host});
        for (const auto& v : c.vms) {
            if (v.arrives != t) continue;
            const auto host = policies.place(cluster, v.vm);
            if (host) cluster.at(*host).vms.push_back(v.vm);
            r.placements.push_back({t, v.vm.name, host});
        }
    }
    r.before = cluster;
    r.rebalance_start_s = double(steps);
    if (policies.rebalance) r.plan = policies.rebalance(cluster);
    // The migrations run one after another, each a pre-copy over the link.
    double t = r.rebalance_start_s;
    for (const auto& m : r.plan.moves) {
        const auto& vms = cluster.at(m.from).vms;
        auto it = std::find_if(vms.begin(), vms.end(), [&](const Vm& v) { return v.name == m.vm; });
        Migration mig;
        mig.move = m;
        mig.cost = migration_cost(it != vms.end() ? *it : Vm{m.vm, m.memory_mib, 0});
        mig.start_s = t;
        t += mig.cost.total_ms / 1e3;
        mig.end_s = t;
        r.bytes_total += mig.cost.bytes;
        r.migrations.push_back(mig);
        Plan one;
        one.moves.push_back(m);
        cluster = cluster::apply(cluster, one);
    }
    r.after = cluster::apply(r.before, r.plan);
    r.end_s = t;
    return r;
}

}  // namespace ptv::cluster::sim
