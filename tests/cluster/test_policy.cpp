// The placement and rebalancing rules of ptv_cluster_policy, on small
// clusters worked out by hand (the rules are in placement.hpp and
// rebalance.hpp).
#include <doctest/doctest.h>

#include <stdexcept>

#include "ptv/cluster/placement.hpp"
#include "ptv/cluster/rebalance.hpp"

using namespace ptv::cluster;

namespace {

Host host(const char* name, uint64_t mib, double cpus, std::vector<Vm> vms = {}, bool on = true) {
    return Host{name, mib, cpus, on, std::move(vms)};
}

std::vector<std::string> names(const Host& h) {
    std::vector<std::string> out;
    for (const auto& vm : h.vms) out.push_back(vm.name);
    return out;
}

// The cluster of the placement tests:
//   h0  8192 MiB, 4 CPUs: a (4096 MiB, 2.0)        used 4096, load 2.0
//   h1  3072 MiB, 2 CPUs: d (1024 MiB, 1.0)        used 1024, load 1.0
//   h2 12288 MiB, 8 CPUs: b, c (2048 MiB, 1.0 each) used 4096, load 2.0
//   h3 16384 MiB, 8 CPUs: off
//   h4  4096 MiB, 8 CPUs: idle
Cluster placement_cluster() {
    return {host("h0", 8192, 4, {{"a", 4096, 2.0}}), host("h1", 3072, 2, {{"d", 1024, 1.0}}),
            host("h2", 12288, 8, {{"b", 2048, 1.0}, {"c", 2048, 1.0}}),
            host("h3", 16384, 8, {}, false), host("h4", 4096, 8)};
}

}  // namespace

TEST_CASE("a host's sums, shares and what fits") {
    Host h = host("h", 8192, 4, {{"a", 4096, 2.0}, {"b", 1024, 0.5}});
    CHECK(h.memory_used() == 5120);
    CHECK(h.memory_free() == 3072);
    CHECK(h.load() == 2.5);
    CHECK(h.memory_share() == 0.625);
    CHECK(h.cpu_share() == 0.625);
    CHECK(h.fits({"v", 3072, 9.0}));  // exactly full; CPU may be overcommitted
    CHECK_FALSE(h.fits({"v", 3073, 0}));
    h.on = false;
    CHECK_FALSE(h.fits({"v", 1, 0}));  // a host that is off takes nothing
    Host empty = host("e", 0, 0);
    CHECK(empty.memory_share() == 0);
    CHECK(empty.cpu_share() == 0);
    CHECK(empty.fits({"v", 0, 1}));
    CHECK_FALSE(empty.fits({"v", 1, 0}));
}

TEST_CASE("placement: each policy's host, worked by hand") {
    const Cluster c = placement_cluster();
    const Vm v{"v", 2048, 1.0};
    // Free memory after placing v: h0 2048, h1 0, h2 6144, h4 2048 (h3 is off).
    // CPU share after: h0 3/4 = .75, h1 2/2 = 1, h2 3/8 = .375, h4 1/8 = .125.
    CHECK(place(c, v, PlacePolicy::FirstFit) == 0u);
    CHECK(place(c, v, PlacePolicy::BestFit) == 1u);   // 0 MiB left
    CHECK(place(c, v, PlacePolicy::WorstFit) == 2u);  // 6144 MiB left
    CHECK(place(c, v, PlacePolicy::Balance) == 4u);   // .125
    // 10000 MiB fits only on h3, which is off: nowhere.
    const Vm big{"big", 10000, 0.5};
    for (auto p :
         {PlacePolicy::FirstFit, PlacePolicy::BestFit, PlacePolicy::WorstFit, PlacePolicy::Balance})
        CHECK_FALSE(place(c, big, p).has_value());
    Cluster on = c;
    on[3].on = true;
    for (auto p :
         {PlacePolicy::FirstFit, PlacePolicy::BestFit, PlacePolicy::WorstFit, PlacePolicy::Balance})
        CHECK(place(on, big, p) == 3u);
}

TEST_CASE("placement: ties go to the first host, an empty cluster takes nothing") {
    const Cluster twins = {host("h0", 4096, 4, {{"a", 1024, 1.0}}),
                           host("h1", 4096, 4, {{"b", 1024, 1.0}})};
    for (auto p :
         {PlacePolicy::FirstFit, PlacePolicy::BestFit, PlacePolicy::WorstFit, PlacePolicy::Balance})
        CHECK(place(twins, {"v", 1024, 0.5}, p) == 0u);
    // Loads that are equal only up to rounding (0.1 + 0.2 vs 0.3) still tie.
    const Cluster close = {host("h0", 4096, 1, {{"a", 1, 0.1}, {"b", 1, 0.2}}),
                           host("h1", 4096, 1, {{"c", 1, 0.3}})};
    CHECK(place(close, {"v", 1, 0}, PlacePolicy::Balance) == 0u);
    CHECK_FALSE(place({}, {"v", 1, 0}, PlacePolicy::FirstFit).has_value());
    CHECK_FALSE(place({}, {"v", 0, 0}, PlacePolicy::Balance).has_value());
}

TEST_CASE("policy names round-trip, other words are refused") {
    for (auto p :
         {PlacePolicy::FirstFit, PlacePolicy::BestFit, PlacePolicy::WorstFit, PlacePolicy::Balance})
        CHECK(parse_place_policy(name(p)) == p);
    CHECK(name(PlacePolicy::BestFit) == "best-fit");
    for (auto p : {RebalancePolicy::Consolidate, RebalancePolicy::Balance})
        CHECK(parse_rebalance_policy(name(p)) == p);
    CHECK(name(RebalancePolicy::Consolidate) == "consolidate");
    CHECK_FALSE(parse_place_policy("best_fit").has_value());
    CHECK_FALSE(parse_place_policy("").has_value());
    CHECK_FALSE(parse_rebalance_policy("Balance").has_value());
}

TEST_CASE("consolidate: the least used hosts are emptied onto the fullest that fit") {
    // Every host 8192 MiB, 4 CPUs:
    //   h0: a 4096, b 2048 (6144)   h1: c 1024 (1024)   h2: d 2048, e 1024 (3072)
    //   h3: f 3072 (3072)           h4: idle
    // Pass 1, by memory used (ties: higher index first): h1, h3, h2, h0.
    //   h1: c 1024 -> free after on h0 1024, h2 4096, h3 4096 -> h0 (h4 idle
    //   takes nothing). h1 emptied; h0 received.
    // Pass 2, candidates h3, h2 (h0 received): h3: f 3072 -> h0 has 1024
    //   free, no; h2 2048 after -> h2. h3 emptied; h2 received.
    // Pass 3: no candidate left (h0, h2 received). Freed h1, h3.
    const Cluster c = {host("h0", 8192, 4, {{"a", 4096, 1}, {"b", 2048, 1}}),
                       host("h1", 8192, 4, {{"c", 1024, 1}}),
                       host("h2", 8192, 4, {{"d", 2048, 1}, {"e", 1024, 1}}),
                       host("h3", 8192, 4, {{"f", 3072, 1}}), host("h4", 8192, 4)};
    const Plan plan = plan_rebalance(c, RebalancePolicy::Consolidate);
    REQUIRE(plan.moves.size() == 2);
    CHECK(plan.moves[0].vm == "c");
    CHECK(plan.moves[0].from == 1);
    CHECK(plan.moves[0].to == 0);
    CHECK(plan.moves[0].memory_mib == 1024);
    CHECK(plan.moves[1].vm == "f");
    CHECK(plan.moves[1].from == 3);
    CHECK(plan.moves[1].to == 2);
    CHECK(plan.freed == std::vector<std::size_t>{1, 3});
    const Cluster after = apply(c, plan);
    CHECK(names(after[0]) == std::vector<std::string>{"a", "b", "c"});
    CHECK(names(after[2]) == std::vector<std::string>{"d", "e", "f"});
    CHECK(after[1].vms.empty());
    CHECK_FALSE(after[1].on);
    CHECK_FALSE(after[3].on);
    CHECK(after[4].on);  // idle before: not a host consolidation freed
    CHECK(after[0].on);
}

TEST_CASE("consolidate: a host's VMs go largest first, and all or none") {
    // Every host 8192 MiB: h0 a 5120; h1 b 1024, c 2048 (3072); h2 d 6144.
    // h1 first: c (2048) before b: c -> h0 1024 after, h2 0 after -> h2;
    // then b -> h0 2048 after (h2 now full) -> h0. h1 emptied; h0 and h2
    // received, so nothing else can be emptied.
    const Cluster c = {host("h0", 8192, 4, {{"a", 5120, 1}}),
                       host("h1", 8192, 4, {{"b", 1024, 1}, {"c", 2048, 1}}),
                       host("h2", 8192, 4, {{"d", 6144, 1}})};
    const Plan plan = plan_rebalance(c, RebalancePolicy::Consolidate);
    REQUIRE(plan.moves.size() == 2);
    CHECK(plan.moves[0].vm == "c");
    CHECK(plan.moves[0].to == 2);
    CHECK(plan.moves[1].vm == "b");
    CHECK(plan.moves[1].to == 0);
    CHECK(plan.freed == std::vector<std::size_t>{1});

    // Every host 4096 MiB: h0 a 1024, b 2048 (3072); h1 c 1024, d 1024
    // (2048); h2 e 2048 (2048). Order h2, h1, h0. h2: e -> h0 no (1024
    // free), h1 0 after -> h1. Then only h0 may be emptied: b fits nowhere
    // (h1 full, h2 emptied) -> stop; a alone does not move either.
    const Cluster d = {host("h0", 4096, 4, {{"a", 1024, 1}, {"b", 2048, 1}}),
                       host("h1", 4096, 4, {{"c", 1024, 1}, {"d", 1024, 1}}),
                       host("h2", 4096, 4, {{"e", 2048, 1}})};
    const Plan p2 = plan_rebalance(d, RebalancePolicy::Consolidate);
    REQUIRE(p2.moves.size() == 1);
    CHECK(p2.moves[0].vm == "e");
    CHECK(p2.moves[0].from == 2);
    CHECK(p2.moves[0].to == 1);
    CHECK(p2.freed == std::vector<std::size_t>{2});
}

TEST_CASE("consolidate: nothing to do on a packed, single or empty cluster") {
    const Cluster full = {host("h0", 2048, 1, {{"a", 2048, 1}}),
                          host("h1", 2048, 1, {{"b", 2048, 1}})};
    CHECK(plan_rebalance(full, RebalancePolicy::Consolidate).moves.empty());
    const Cluster one = {host("h0", 2048, 1, {{"a", 1024, 1}})};
    CHECK(plan_rebalance(one, RebalancePolicy::Consolidate).moves.empty());
    const Plan none = plan_rebalance({}, RebalancePolicy::Consolidate);
    CHECK(none.moves.empty());
    CHECK(none.freed.empty());
    CHECK(plan_rebalance({}, RebalancePolicy::Balance).moves.empty());
    // A host that is off is neither emptied nor filled.
    const Cluster off = {host("h0", 8192, 1, {{"a", 1024, 1}}),
                         host("h1", 8192, 1, {{"b", 1024, 1}}, false)};
    CHECK(plan_rebalance(off, RebalancePolicy::Consolidate).moves.empty());
}

TEST_CASE("balance: the move that narrows the spread most, until none does") {
    // All 8192 MiB. h0 4 CPUs: a 2.0, b 1.0, c 1.0 (share 1.0); h1 4 CPUs:
    // d 1.0 (.25); h2 2 CPUs: idle (0). Spread 1.0.
    // Step 1: top h0; the least loaded other host is h2 for every VM.
    //   a -> h2: h0 .5, h1 .25, h2 1.0 -> spread .75
    //   b -> h2: h0 .75, h1 .25, h2 .5 -> spread .5  (c the same: b is earlier)
    // Step 2: h0 .75 (a, c), h1 .25, h2 .5; the least loaded other is h1.
    //   a -> h1: h0 .25, h1 .75, h2 .5 -> .5;  c -> h1: all .5 -> 0. Take c.
    // Step 3: all .5; top h0 has one VM left: stop.
    const Cluster c = {host("h0", 8192, 4, {{"a", 1024, 2}, {"b", 1024, 1}, {"c", 1024, 1}}),
                       host("h1", 8192, 4, {{"d", 1024, 1}}), host("h2", 8192, 2)};
    const Plan plan = plan_rebalance(c, RebalancePolicy::Balance);
    REQUIRE(plan.moves.size() == 2);
    CHECK(plan.moves[0].vm == "b");
    CHECK(plan.moves[0].from == 0);
    CHECK(plan.moves[0].to == 2);
    CHECK(plan.moves[1].vm == "c");
    CHECK(plan.moves[1].from == 0);
    CHECK(plan.moves[1].to == 1);
    CHECK(plan.freed.empty());
    const Cluster after = apply(c, plan);
    for (const auto& h : after) CHECK(h.cpu_share() == 0.5);
}

TEST_CASE("balance: memory limits the moves, an even cluster stays") {
    // h1 is the least loaded but has no memory free: nothing can move.
    const Cluster tight = {host("h0", 4096, 4, {{"a", 2048, 2}, {"b", 2048, 2}}),
                           host("h1", 2048, 4, {{"c", 2048, 0}})};
    CHECK(plan_rebalance(tight, RebalancePolicy::Balance).moves.empty());
    const Cluster even = {host("h0", 4096, 4, {{"a", 1024, 2}, {"b", 1024, 2}}),
                          host("h1", 4096, 4, {{"c", 1024, 2}, {"d", 1024, 2}})};
    CHECK(plan_rebalance(even, RebalancePolicy::Balance).moves.empty());
    // 1 CPU each: h0 3.0 (a 1.0, b 2.0), h1 1.0 (c). a -> h1 evens them (2
    // vs 2); b -> h1 would only swap which host is the busier (1 vs 3).
    const Cluster swap = {host("h0", 4096, 1, {{"a", 1024, 1}, {"b", 1024, 2}}),
                          host("h1", 4096, 1, {{"c", 1024, 1}})};
    const Plan p = plan_rebalance(swap, RebalancePolicy::Balance);
    REQUIRE(p.moves.size() == 1);
    CHECK(p.moves[0].vm == "a");
    const Cluster no_gain = {host("h0", 4096, 1, {{"a", 1024, 2}, {"b", 1024, 2}}),
                             host("h1", 4096, 1, {{"c", 1024, 1}})};
    // 4 vs 1 (spread 3): a -> h1 gives 2 vs 3 (spread 1): taken; then h1 is
    // top with c and a: c -> h0 gives 3 vs 2, a -> h0 gives 4 vs 1: neither
    // narrows 1, stop.
    const Plan q = plan_rebalance(no_gain, RebalancePolicy::Balance);
    REQUIRE(q.moves.size() == 1);
    CHECK(q.moves[0].vm == "a");
    CHECK(q.moves[0].to == 1);
}

TEST_CASE("apply refuses a move of a VM that is not on its host") {
    const Cluster c = {host("h0", 4096, 1, {{"a", 1024, 1}}), host("h1", 4096, 1)};
    CHECK_THROWS_AS(apply(c, Plan{{{"zz", 0, 1, 1024}}, {}}), std::invalid_argument);
    CHECK_THROWS_AS(apply(c, Plan{{{"a", 1, 0, 1024}}, {}}), std::invalid_argument);
    CHECK_THROWS_AS(apply(c, Plan{{{"a", 0, 7, 1024}}, {}}), std::invalid_argument);
    CHECK_THROWS_AS(apply(c, Plan{{}, {5}}), std::invalid_argument);
    const Cluster moved = apply(c, Plan{{{"a", 0, 1, 1024}}, {0}});
    CHECK(moved[1].vms.size() == 1);
    CHECK_FALSE(moved[0].on);
}
