// Consolidation and load balancing as plans of live migrations (the exact
// rules are in rebalance.hpp).
#include "ptv/cluster/rebalance.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

namespace ptv::cluster {

namespace {

constexpr std::array<std::pair<RebalancePolicy, std::string_view>, 2> kNames{{
    {RebalancePolicy::Consolidate, "consolidate"},
    {RebalancePolicy::Balance, "balance"},
}};

void move_vm(Cluster& c, const Move& m) {
    if (m.from >= c.size() || m.to >= c.size())
        throw std::invalid_argument("a move names a host that is not in the cluster");
    auto& vms = c[m.from].vms;
    auto it = std::find_if(vms.begin(), vms.end(), [&](const Vm& v) { return v.name == m.vm; });
    if (it == vms.end())
        throw std::invalid_argument("a move names VM '" + m.vm + "' that is not on its host");
    c[m.to].vms.push_back(std::move(*it));
    vms.erase(it);
}

bool in_use(const Host& h) {
    return h.on && !h.vms.empty();
}

// Consolidation's one try: where each of host `src`'s VMs would go (best
// fit on the hosts in use that are not emptied), or nothing if one fits
// nowhere. `c` is the cluster as the plan has left it so far.
std::optional<std::vector<Move>> try_to_empty(const Cluster& c, std::size_t src,
                                              const std::vector<bool>& emptied) {
    std::vector<const Vm*> order;
    for (const auto& vm : c[src].vms) order.push_back(&vm);
    std::stable_sort(order.begin(), order.end(),
                     [](const Vm* a, const Vm* b) { return a->memory_mib > b->memory_mib; });
    std::vector<uint64_t> added(c.size(), 0);  // memory this try puts on each host
    std::vector<Move> moves;
    for (const Vm* vm : order) {
        std::optional<std::size_t> best;
        uint64_t best_free = 0;
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (i == src || emptied[i] || !in_use(c[i])) continue;
            const uint64_t used = c[i].memory_used() + added[i];
            if (used + vm->memory_mib > c[i].memory_mib) continue;
            const uint64_t free_after = c[i].memory_mib - used - vm->memory_mib;
            if (!best || free_after < best_free) {
                best = i;
                best_free = free_after;
            }
        }
        if (!best) return std::nullopt;
        added[*best] += vm->memory_mib;
        moves.push_back({vm->name, src, *best, vm->memory_mib});
    }
    return moves;
}

Plan consolidate(Cluster c) {
    Plan plan;
    std::vector<bool> emptied(c.size(), false), received(c.size(), false);
    for (;;) {
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < c.size(); ++i)
            if (in_use(c[i]) && !emptied[i] && !received[i]) candidates.push_back(i);
        // Least memory used first: the cheapest host to empty; ties: the
        // higher index, so that the first hosts are the ones kept.
        std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
            const uint64_t ua = c[a].memory_used(), ub = c[b].memory_used();
            return ua != ub ? ua < ub : a > b;
        });
        bool progress = false;
        for (std::size_t src : candidates) {
            auto moves = try_to_empty(c, src, emptied);
            if (!moves) continue;
            for (const auto& m : *moves) {
                move_vm(c, m);
                received[m.to] = true;
                plan.moves.push_back(m);
            }
            emptied[src] = true;
            plan.freed.push_back(src);
            progress = true;
            break;
        }
        if (!progress) return plan;
    }
}

// max - min of the CPU shares of the hosts that are on.
double spread(const Cluster& c) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& h : c) {
        if (!h.on) continue;
        lo = std::min(lo, h.cpu_share());
        hi = std::max(hi, h.cpu_share());
    }
    return hi >= lo ? hi - lo : 0;
}

Plan balance(Cluster c) {
    Plan plan;
    std::size_t vms = 0;
    for (const auto& h : c)
        if (h.on) vms += h.vms.size();
    const std::size_t cap = 2 * vms;
    while (plan.moves.size() < cap) {
        std::optional<std::size_t> top;
        for (std::size_t i = 0; i < c.size(); ++i)
            if (c[i].on && (!top || c[i].cpu_share() > c[*top].cpu_share() + 1e-9)) top = i;
        if (!top || c[*top].vms.size() < 2) return plan;  // the last VM stays
        const double now = spread(c);
        std::optional<Move> best;
        double best_spread = 0;
        for (const auto& vm : c[*top].vms) {
            std::optional<std::size_t> to;
            for (std::size_t i = 0; i < c.size(); ++i)
                if (i != *top && c[i].fits(vm) &&
                    (!to || c[i].cpu_share() < c[*to].cpu_share() - 1e-9))
                    to = i;
            if (!to) continue;
            const Move m{vm.name, *top, *to, vm.memory_mib};
            Cluster after = c;
            move_vm(after, m);
            const double s = spread(after);
            if (!best || s < best_spread - 1e-9) {
                best = m;
                best_spread = s;
            }
        }
        if (!best || best_spread >= now - kBalanceEpsilon) return plan;
        move_vm(c, *best);
        plan.moves.push_back(*best);
    }
    return plan;
}

}  // namespace

std::optional<RebalancePolicy> parse_rebalance_policy(std::string_view text) {
    for (auto [policy, words] : kNames)
        if (text == words) return policy;
    return std::nullopt;
}

std::string_view name(RebalancePolicy policy) {
    for (auto [p, words] : kNames)
        if (p == policy) return words;
    return "?";
}

Plan plan_rebalance(const Cluster& cluster, RebalancePolicy policy) {
    return policy == RebalancePolicy::Consolidate ? consolidate(cluster) : balance(cluster);
}

Cluster apply(Cluster cluster, const Plan& plan) {
    for (const auto& m : plan.moves) move_vm(cluster, m);
    for (std::size_t i : plan.freed) {
        if (i >= cluster.size()) throw std::invalid_argument("a freed host is not in the cluster");
        cluster[i].on = false;
    }
    return cluster;
}

}  // namespace ptv::cluster
