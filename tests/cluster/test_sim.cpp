// The cluster simulator's exact answers (sim/cluster/README.md), worked by
// hand in the comments.
#include <doctest/doctest.h>

#include "ptv/cluster/sim/migration_cost.hpp"
#include "ptv/cluster/sim/problem.hpp"
#include "ptv/cluster/sim/simulate.hpp"
#include "ptv/common/error.hpp"

using namespace ptv::cluster;
using namespace ptv::cluster::sim;

namespace {

Config seeded(uint64_t seed, std::size_t hosts, std::size_t vms, PlacePolicy place,
              std::optional<RebalancePolicy> rebalance) {
    Config c = generate(seed, hosts, vms);
    c.place = place;
    c.rebalance = rebalance;
    return c;
}

}  // namespace

TEST_CASE("a migration's cost is the pre-copy simulator's bytes") {
    // 1024 MiB = 262144 pages; working set 16384 pages; load 1.0 -> 10000
    // pages/s; link 25000 pages/s, QEMU's 300 ms = 7500 pages.
    // Round 1: 262144 pages, 10.48576 s; the working set is rewritten 6
    //   times over: 16384 dirty.
    // Round 2: 16384 pages, 0.65536 s, until 11.14112 s: floor(111411.2) -
    //   floor(104857.6) = 6554 writes, all distinct: 6554 <= 7500, stop.
    // Stop-and-copy 6554 pages + 1 state page = 262.2 ms. Sent 262144 +
    // 16384 + 6554 = 285082 pages; total (285082 + 1) / 25000 s.
    const MigrationCost c = migration_cost({"v", 1024, 1.0});
    CHECK(c.dirty == "wws:16384:10000");
    CHECK(c.memory_pages == 262144);
    CHECK(c.rounds == 2);
    CHECK(c.pages_sent == 285082);
    CHECK(c.bytes == 285082ull * 4096);
    CHECK(c.downtime_ms == doctest::Approx(262.2));
    CHECK(c.total_ms == doctest::Approx(11403.32));
    // An idle VM: one round, nothing dirty, only the state while paused.
    const MigrationCost idle = migration_cost({"v", 1024, 0});
    CHECK(idle.dirty == "idle");
    CHECK(idle.rounds == 1);
    CHECK(idle.pages_sent == 262144);
    CHECK(idle.downtime_ms == doctest::Approx(0.04));
    // A busier VM of the same size moves more.
    CHECK(migration_cost({"v", 1024, 2.0}).bytes > c.bytes);
    CHECK(migration_cost({"v", 0, 1.0}).bytes == 0);
}

TEST_CASE("seed 1, 2 hosts, 4 VMs, worst-fit then consolidate: worked by hand") {
    // Hosts: h1 12288 MiB 4 CPUs, h2 12288 MiB 4 CPUs. VMs (MiB, load):
    // vm1 2048 1.25, vm2 2048 0.75, vm3 1024 0.75, vm4 4096 1.75; none leaves.
    // Worst fit (free memory after): vm1 10240 | 10240 -> h1 (tie);
    // vm2 8192 | 10240 -> h2; vm3 9216 | 9216 -> h1 (tie); vm4 5120 | 6144 -> h2.
    // Consolidate: h1 (3072 used) before h2 (6144): vm1 (2048, largest) ->
    // h2, then vm3 -> h2 (3072 left); h1 emptied and powered off.
    // vm1: 524288 pages, working set 32768 at 12500 pages/s. Rounds send
    //   524288, 32768, 16384, 8192 pages; dirtied 32768, 16384, 8192, 4096
    //   (4096 <= 7500: stop); 585728 pages in all, downtime 4097 pages =
    //   163.88 ms, 23429.16 ms in all.
    // vm3: 262144 pages, working set 16384 at 7500 pages/s. Round 2 (0.65536
    //   s from 10.48576 s) dirties floor(83558.4) - floor(78643.2) = 4915:
    //   stop; 262144 + 16384 + 4915 = 283443 pages, downtime 196.64 ms.
    const Config c = seeded(1, 2, 4, PlacePolicy::WorstFit, RebalancePolicy::Consolidate);
    REQUIRE(c.hosts.size() == 2);
    CHECK(c.hosts[0].memory_mib == 12288);
    CHECK(c.hosts[1].cpus == 4);
    REQUIRE(c.vms.size() == 4);
    CHECK(c.vms[0].vm.memory_mib == 2048);
    CHECK(c.vms[0].vm.load == 1.25);
    CHECK(c.vms[3].vm.memory_mib == 4096);
    CHECK(c.vms[3].vm.load == 1.75);
    for (const auto& v : c.vms) CHECK_FALSE(v.leaves.has_value());
    const Result r = simulate(c);
    REQUIRE(r.placements.size() == 4);
    const std::size_t hosts[] = {0, 1, 0, 1};
    for (std::size_t i = 0; i < 4; ++i) CHECK(r.placements[i].host == hosts[i]);
    CHECK(r.fits_nowhere().empty());
    REQUIRE(r.migrations.size() == 2);
    CHECK(r.migrations[0].move.vm == "vm1");
    CHECK(r.migrations[0].move.from == 0);
    CHECK(r.migrations[0].move.to == 1);
    CHECK(r.migrations[0].cost.rounds == 4);
    CHECK(r.migrations[0].cost.pages_sent == 585728);
    CHECK(r.migrations[0].cost.downtime_ms == doctest::Approx(163.88));
    CHECK(r.migrations[0].cost.total_ms == doctest::Approx(23429.16));
    CHECK(r.migrations[1].move.vm == "vm3");
    CHECK(r.migrations[1].cost.pages_sent == 283443);
    CHECK(r.migrations[1].cost.downtime_ms == doctest::Approx(196.64));
    CHECK(r.plan.freed == std::vector<std::size_t>{0});
    CHECK(r.bytes_total == (585728ull + 283443ull) * 4096);
    CHECK_FALSE(r.after[0].on);
    CHECK(r.after[1].vms.size() == 4);
    // One after the other from t = 4 s.
    CHECK(r.migrations[0].start_s == 4.0);
    CHECK(r.migrations[1].start_s == doctest::Approx(4.0 + 23.42916));
    // Balancing instead: h1 2/4 = .5, h2 2.5/4 = .625; moving vm2 or vm4
    // to h1 widens the spread (.25, .75): nothing moves.
    const Result b = simulate(seeded(1, 2, 4, PlacePolicy::WorstFit, RebalancePolicy::Balance));
    CHECK(b.migrations.empty());
    CHECK(b.bytes_total == 0);
}

TEST_CASE("seed 0, 2 hosts, 4 VMs: departures free memory before the next arrival") {
    // h1 12288 MiB 4 CPUs, h2 8192 MiB 8 CPUs. vm1 2048 1.25 leaves at 1 s,
    // vm2 4096 1.5, vm3 1024 2.0 leaves at 3 s, vm4 2048 0.25.
    // Best fit: vm1 -> h2 (6144 left vs 10240); at 1 s vm1 leaves, vm2 ->
    // h2 (4096 vs 8192); vm3 -> h2 (3072); at 3 s vm3 leaves, vm4 -> h2
    // (2048 vs 10240). Everything on h2, h1 idle: consolidation moves nothing.
    const Result r = simulate(seeded(0, 2, 4, PlacePolicy::BestFit, RebalancePolicy::Consolidate));
    for (const auto& p : r.placements) CHECK(p.host == 1u);
    REQUIRE(r.departures.size() == 2);
    CHECK(r.departures[0].vm == "vm1");
    CHECK(r.departures[0].step == 1);
    CHECK(r.departures[1].vm == "vm3");
    CHECK(r.departures[1].step == 3);
    CHECK(r.plan.moves.empty());
    CHECK(r.before[1].vms.size() == 2);
    // Balance placement (CPU share after): vm1 .3125 | .15625 -> h2; vm2
    // .375 | .1875 -> h2; vm3 .5 | .4375 -> h2; vm4 (h2 at 1.5 after vm3
    // left) .0625 | .21875 -> h1.
    const Result b = simulate(seeded(0, 2, 4, PlacePolicy::Balance, RebalancePolicy::Balance));
    CHECK(b.placements[0].host == 1u);
    CHECK(b.placements[2].host == 1u);
    CHECK(b.placements[3].host == 0u);
    CHECK(b.migrations.empty());  // h2's only VM stays
}

TEST_CASE("seed 4, 1 host: VMs that fit nowhere") {
    // h1 16384 MiB; vm1 and vm2 8192 MiB fill it; vm3 (2048) and vm4 (4096)
    // fit nowhere.
    const Result r = simulate(seeded(4, 1, 4, PlacePolicy::FirstFit, RebalancePolicy::Consolidate));
    CHECK(r.fits_nowhere() == std::vector<std::string>{"vm3", "vm4"});
    CHECK(r.before[0].memory_used() == 16384);
    CHECK(r.plan.moves.empty());
}

TEST_CASE("seeds: the same seed the same problem, counts override and are checked") {
    const Config a = generate(7), b = generate(7);
    REQUIRE(a.hosts.size() == b.hosts.size());
    REQUIRE(a.vms.size() == b.vms.size());
    CHECK(a.hosts.size() >= 4);
    CHECK(a.hosts.size() <= 6);
    CHECK(a.vms.size() >= 8);
    CHECK(a.vms.size() <= 16);
    for (std::size_t i = 0; i < a.vms.size(); ++i) {
        CHECK(a.vms[i].vm.memory_mib == b.vms[i].vm.memory_mib);
        CHECK(a.vms[i].leaves == b.vms[i].leaves);
        if (a.vms[i].leaves) CHECK(*a.vms[i].leaves > a.vms[i].arrives);
    }
    // --hosts leaves the VMs as they were, --vms the hosts.
    const Config more_hosts = generate(7, 12), fewer_vms = generate(7, std::nullopt, 3);
    CHECK(more_hosts.hosts.size() == 12);
    CHECK(more_hosts.vms.size() == a.vms.size());
    CHECK(more_hosts.vms[2].vm.memory_mib == a.vms[2].vm.memory_mib);
    CHECK(more_hosts.hosts[1].memory_mib == a.hosts[1].memory_mib);
    CHECK(fewer_vms.vms.size() == 3);
    CHECK(fewer_vms.hosts.size() == a.hosts.size());
    CHECK(fewer_vms.vms[2].vm.load == a.vms[2].vm.load);
    CHECK_THROWS_AS(generate(7, 0), ptv::UsageError);
    CHECK_THROWS_AS(generate(7, kMaxHosts + 1), ptv::UsageError);
    CHECK_THROWS_AS(generate(7, 4, 0), ptv::UsageError);
    CHECK_THROWS_AS(generate(7, 4, kMaxVms + 1), ptv::UsageError);
}

TEST_CASE("a placement and a rebalancing of one's own plug into the simulator") {
    Config c = seeded(1, 2, 4, PlacePolicy::FirstFit, RebalancePolicy::Consolidate);
    Policies mine;
    // The last host the VM fits on; then move every VM of h2 to h1.
    mine.place = [](const Cluster& cluster, const Vm& vm) -> std::optional<std::size_t> {
        for (std::size_t i = cluster.size(); i-- > 0;)
            if (cluster[i].fits(vm)) return i;
        return std::nullopt;
    };
    mine.rebalance = [](const Cluster& cluster) {
        Plan p;
        for (const auto& vm : cluster[1].vms) p.moves.push_back({vm.name, 1, 0, vm.memory_mib});
        p.freed.push_back(1);
        return p;
    };
    const Result r = simulate(c, mine);
    for (const auto& p : r.placements) CHECK(p.host == 1u);
    REQUIRE(r.migrations.size() == 4);
    CHECK(r.migrations[0].move.vm == "vm1");
    CHECK(r.migrations[2].cost.pages_sent == 283443);  // vm3, as in the seed 1 case
    CHECK_FALSE(r.after[1].on);
    CHECK(r.after[0].vms.size() == 4);
    // No rebalancing at all.
    mine.rebalance = nullptr;
    CHECK(simulate(c, mine).migrations.empty());
}
