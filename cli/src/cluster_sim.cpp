// `ptv cluster sim`: VM placement and consolidation on a modelled cluster,
// in the OSTEP homework style (-s SEED makes a problem, -c prints the
// answers). The same placement and rebalancing rules as the real cluster;
// the rules are in sim/cluster/README.md.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "ptv/cluster/sim/report.hpp"
#include "ptv/cluster/sim/simulate.hpp"
#include "ptv/common/error.hpp"
#include "seed_option.hpp"

namespace ptv::cli {

namespace {

namespace cs = ptv::cluster::sim;

struct SimArgs {
    uint64_t seed = 0;
    std::size_t hosts = 0, vms = 0;
    std::string place = "first-fit", rebalance = "consolidate", trace;
    bool compute = false, json = false;
    CLI::App* cmd = nullptr;
};

int run_sim(const SimArgs& a) {
    auto given = [&](const char* name) { return a.cmd->count(name) > 0; };
    cs::Problem p;
    p.seed = a.seed;
    const auto place = cluster::parse_place_policy(a.place);
    if (!place)
        throw UsageError(
            fmt::format("--place '{}': use first-fit, best-fit, worst-fit or balance", a.place));
    std::optional<cluster::RebalancePolicy> rebalance;
    if (a.rebalance != "none") {
        rebalance = cluster::parse_rebalance_policy(a.rebalance);
        if (!rebalance)
            throw UsageError(
                fmt::format("--rebalance '{}': use consolidate, balance or none", a.rebalance));
    }
    p.cfg = cs::generate(a.seed, given("--hosts") ? std::optional(a.hosts) : std::nullopt,
                         given("--vms") ? std::optional(a.vms) : std::nullopt);
    p.cfg.place = *place;
    p.cfg.rebalance = rebalance;
    const cs::Result r = cs::simulate(p.cfg);
    std::optional<trace::TraceWriter> trace;
    if (!a.trace.empty()) trace.emplace(trace::TraceWriter::open(a.trace));
    if (a.json)
        std::printf("%s\n", cs::to_json(p, r, a.compute).dump(2).c_str());
    else if (a.compute)
        std::fputs(cs::render_answers(p, r).c_str(), stdout);
    else
        std::fputs((cs::render_problem(p) + "\nRun again with -c to see the answers.\n").c_str(),
                   stdout);
    if (trace) {
        cs::write_trace(*trace, p, r);
        if (!trace->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", a.trace));
    }
    return 0;
}

}  // namespace

Commands cluster_sim_commands(CLI::App& cluster) {
    auto a = std::make_shared<SimArgs>();
    auto* sim = cluster.add_subcommand(
        "sim",
        "VM placement and consolidation on a modelled cluster with exact answers; -s SEED makes "
        "a problem, -c prints the answers");
    a->cmd = sim;
    sim->footer(
        "VMs arrive one a second (some leave); each is placed by --place, then --rebalance\n"
        "plans live migrations, each priced by the pre-copy simulator of 'ptv migrate sim'.\n"
        "Rules: sim/cluster/README.md.");
    sim->add_option("-s,--seed", a->seed, "make a problem from SEED (0 or more; default 0)")
        ->check(seed_number);
    sim->add_flag("-c,--compute", a->compute,
                  "print the answers: placements, migrations, hosts powered off, bytes moved");
    sim->add_option(
        "--hosts", a->hosts,
        fmt::format("how many hosts (1..{}; default: from the seed, 4..6)", cs::kMaxHosts));
    sim->add_option(
        "--vms", a->vms,
        fmt::format("how many VMs arrive (1..{}; default: from the seed, 8..16)", cs::kMaxVms));
    sim->add_option("--place", a->place, "first-fit (default), best-fit, worst-fit or balance");
    sim->add_option("--rebalance", a->rebalance, "consolidate (default), balance or none");
    sim->add_option("--trace", a->trace, "write a Chrome trace (Perfetto, ptv viz) to FILE");
    sim->add_flag("--json", a->json, "print the problem (and with -c the answers) as JSON");
    return {{sim, [a] { return run_sim(*a); }}};
}

}  // namespace ptv::cli
