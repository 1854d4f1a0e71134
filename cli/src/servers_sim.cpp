// `ptv servers sim`: the discrete-event model of the server architectures
// in the OSTEP homework style (-s SEED makes a problem, -c prints the
// answers). The rules are in sim/servers/sim/README.md.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/graphviz.hpp"
#include "ptv/servers/sim/drawing.hpp"
#include "ptv/servers/sim/model.hpp"
#include "ptv/servers/sim/report.hpp"
#include "seed_option.hpp"

namespace ptv::cli {

namespace {

namespace ss = ptv::servers::sim;

struct SimArgs {
    std::string arch = "all";
    ss::Config cfg;
    uint64_t seed = 0;
    bool compute = false, json = false;
    std::string trace;
    graphviz::Paths drawing;
    CLI::App* cmd = nullptr;
};

int run_sim(SimArgs& a) {
    ss::Problem p;
    p.seed = a.seed;
    p.generated = a.cmd->count("--seed") > 0;
    // A seed makes the problem; options given explicitly override it.
    p.cfg = p.generated ? ss::generate(a.seed) : ss::Config{};
    auto take = [&](const char* name, int& field, int value) {
        if (a.cmd->count(name) > 0) field = value;
    };
    take("--clients", p.cfg.clients, a.cfg.clients);
    take("--requests", p.cfg.requests, a.cfg.requests);
    take("--cpu", p.cfg.cpu, a.cfg.cpu);
    take("--disk", p.cfg.disk, a.cfg.disk);
    take("--think", p.cfg.think, a.cfg.think);
    take("--workers", p.cfg.workers, a.cfg.workers);
    take("--cpus", p.cfg.cpus, a.cfg.cpus);
    take("--fork", p.cfg.fork, a.cfg.fork);
    ss::validate(p.cfg);
    if (a.arch == "all")
        p.archs = ptv::servers::arch::all_architectures();
    else
        p.archs = {ptv::servers::arch::parse_architecture(a.arch)};
    if (a.drawing.any() && p.archs.size() != 1)
        throw UsageError(
            fmt::format("--dot, --svg and --png draw one architecture: add --arch NAME ({})",
                        ptv::servers::arch::architecture_names()));
    graphviz::Drawing drawing(a.drawing);
    std::optional<ptv::trace::TraceWriter> trace;
    if (!a.trace.empty()) trace.emplace(ptv::trace::TraceWriter::open(a.trace));

    std::vector<ss::Result> results;
    for (auto arch : p.archs) results.push_back(ss::simulate(arch, p.cfg));
    if (a.json)
        std::printf("%s\n", ss::to_json(p, results, a.compute).dump(2).c_str());
    else if (a.compute)
        std::fputs(ss::render_answers(p, results).c_str(), stdout);
    else
        std::fputs((ss::render_problem(p) + "\nRun again with -c to see the answers.\n").c_str(),
                   stdout);
    if (trace) {
        ss::write_trace(*trace, p, results);
        if (!trace->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", a.trace));
    }
    if (drawing.wanted()) drawing.write(ss::to_dot(p, results.front()));
    return 0;
}

}  // namespace

Commands servers_sim_commands(CLI::App& servers) {
    auto a = std::make_shared<SimArgs>();
    auto* sim = servers.add_subcommand(
        "sim",
        "a discrete-event model of the architectures with exact answers; -s SEED makes a "
        "problem, -c prints the answers");
    a->cmd = sim;
    sim->add_option("--arch", a->arch, "all, or one of " + ptv::servers::arch::architecture_names())
        ->capture_default_str();
    sim->add_option("--clients", a->cfg.clients, "N closed-loop clients (default 4)");
    sim->add_option("--requests", a->cfg.requests, "R requests per client (default 5)");
    sim->add_option("--cpu", a->cfg.cpu, "ms of CPU per request (default 2)");
    sim->add_option("--disk", a->cfg.disk, "ms of disk read per request (default 10)");
    sim->add_option("--think", a->cfg.think, "ms between a reply and the next request (default 0)");
    sim->add_option("--workers", a->cfg.workers,
                    "K workers of dispatcher-worker and prefork (default 2)");
    sim->add_option("--cpus", a->cfg.cpus, "P CPUs of the server machine (default 1)");
    sim->add_option("--fork", a->cfg.fork,
                    "ms of CPU per fork (process-per-connection; default 1)");
    sim->add_option("-s,--seed", a->seed, "make a problem from SEED (0 or more)")
        ->check(ptv::cli::seed_number);
    sim->add_flag("-c,--compute", a->compute, "print the answers and every request's times");
    sim->add_option("--trace", a->trace, "write a Chrome trace (Perfetto) to FILE");
    graphviz::add_options(*sim, a->drawing,
                          "the architecture (--arch; Fig. 3-3 for dispatcher-worker) with what "
                          "the run computed");
    sim->add_flag("--json", a->json, "print the problem (and with -c the answers) as JSON");
    return {{sim, [a] { return run_sim(*a); }}};
}

}  // namespace ptv::cli
