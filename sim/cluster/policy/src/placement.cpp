// The four placement rules (see placement.hpp).
#include "ptv/cluster/placement.hpp"

#include <array>
#include <utility>

namespace ptv::cluster {

namespace {

constexpr std::array<std::pair<PlacePolicy, std::string_view>, 4> kNames{{
    {PlacePolicy::FirstFit, "first-fit"},
    {PlacePolicy::BestFit, "best-fit"},
    {PlacePolicy::WorstFit, "worst-fit"},
    {PlacePolicy::Balance, "balance"},
}};

// How good host h is for the VM under the policy: lower is better.
double score(const Host& h, const Vm& vm, PlacePolicy policy) {
    const double free_after = double(h.memory_free()) - double(vm.memory_mib);
    switch (policy) {
        case PlacePolicy::FirstFit:
            return 0;  // every fitting host is as good: the first wins
        case PlacePolicy::BestFit:
            return free_after;
        case PlacePolicy::WorstFit:
            return -free_after;
        case PlacePolicy::Balance: {
            Host after = h;
            after.vms.push_back(vm);
            return after.cpu_share();
        }
    }
    return 0;
}

}  // namespace

std::optional<PlacePolicy> parse_place_policy(std::string_view text) {
    for (auto [policy, words] : kNames)
        if (text == words) return policy;
    return std::nullopt;
}

std::string_view name(PlacePolicy policy) {
    for (auto [p, words] : kNames)
        if (p == policy) return words;
    return "?";
}

std::optional<std::size_t> place(const Cluster& cluster, const Vm& vm, PlacePolicy policy) {
    std::optional<std::size_t> best;
    double best_score = 0;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        if (!cluster[i].fits(vm)) continue;
        const double s = score(cluster[i], vm, policy);
        // Strictly better by more than rounding: ties go to the lower index.
        if (!best || s < best_score - 1e-9) {
            best = i;
            best_score = s;
        }
    }
    return best;
}

}  // namespace ptv::cluster
