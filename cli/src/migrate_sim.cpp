// `ptv migrate bindings` and `ptv migrate sim`: chapter 3.5 (code
// migration) in the OSTEP homework style (-s SEED makes a problem, -c prints
// the answers). The rules are in sim/migration/README.md.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/graphviz.hpp"
#include "ptv/migration/sim/bindings.hpp"
#include "ptv/migration/sim/bindings_drawing.hpp"
#include "ptv/migration/sim/problem.hpp"
#include "ptv/migration/sim/report.hpp"
#include "seed_option.hpp"

namespace ptv::cli {

namespace {

namespace ms = ptv::migration::sim;

struct BindingsArgs {
    uint64_t seed = 0;
    int count = 5;
    std::string kind = "mixed";
    bool compute = false, table = false, json = false;
    graphviz::Paths drawing;
};

int run_bindings(const BindingsArgs& a) {
    if (a.table) {
        graphviz::Drawing drawing(a.drawing);
        if (a.json)
            std::printf("%s\n", ms::table_json().dump(2).c_str());
        else
            std::fputs(ms::render_table().c_str(), stdout);
        if (drawing.wanted()) drawing.write(ms::table_dot());
        return 0;
    }
    auto ex = ms::make_exercises(a.seed, a.count, a.kind);
    // Drawn before anything is printed: exercises with nothing to draw are
    // a usage error with no other output.
    const std::string dot = a.drawing.any() ? ms::exercises_dot(a.seed, ex, a.compute) : "";
    graphviz::Drawing drawing(a.drawing);
    if (a.json)
        std::printf("%s\n", ms::exercises_json(a.seed, ex, a.compute).dump(2).c_str());
    else
        std::fputs(ms::render_exercises(a.seed, ex, a.compute).c_str(), stdout);
    if (drawing.wanted()) drawing.write(dot);
    return 0;
}

struct SimArgs {
    ms::Config cfg;
    std::string bandwidth, policy;
    uint64_t seed = 0;
    bool compute = false, json = false;
    std::string trace;
    CLI::App* cmd = nullptr;
};

int run_sim(SimArgs& a) {
    ms::Problem p;
    p.seed = a.seed;
    p.generated = a.cmd->count("--seed") > 0;
    // A seed makes the problem; options given explicitly override it.
    p.cfg = p.generated ? ms::generate(a.seed) : ms::Config{};
    auto given = [&](const char* name) { return a.cmd->count(name) > 0; };
    if (given("--memory")) p.cfg.memory_pages = a.cfg.memory_pages;
    if (given("--bandwidth")) p.cfg.bandwidth = ms::parse_bandwidth(a.bandwidth);
    if (given("--dirty")) p.cfg.dirty = a.cfg.dirty;
    if (given("--policy")) p.cfg.policy = ms::parse_policy(a.policy);
    if (given("--stop")) {
        p.cfg.stop = a.cfg.stop;
        if (!given("--downtime-limit")) p.cfg.downtime_limit_ms = 0;
    }
    if (given("--downtime-limit")) p.cfg.downtime_limit_ms = a.cfg.downtime_limit_ms;
    if (given("--state-pages")) p.cfg.state_pages = a.cfg.state_pages;
    if (given("--latency")) p.cfg.latency_us = a.cfg.latency_us;
    if (given("--hybrid-rounds")) p.cfg.hybrid_rounds = a.cfg.hybrid_rounds;
    ms::validate(p.cfg);
    // Simulate first: a bad --dirty leaves no trace file behind.
    const ms::Result r = ms::simulate(p.cfg, p.seed);
    std::optional<ptv::trace::TraceWriter> trace;
    if (!a.trace.empty()) trace.emplace(ptv::trace::TraceWriter::open(a.trace));
    if (a.json)
        std::printf("%s\n", ms::to_json(p, r, a.compute).dump(2).c_str());
    else if (a.compute)
        std::fputs(ms::render_answers(p, r).c_str(), stdout);
    else
        std::fputs((ms::render_problem(p) + "\nRun again with -c to see the answers.\n").c_str(),
                   stdout);
    if (trace) {
        ms::write_trace(*trace, p, r);
        if (!trace->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", a.trace));
    }
    return 0;
}

}  // namespace

Commands migrate_sim_commands(CLI::App& migrate) {
    auto b = std::make_shared<BindingsArgs>();
    auto* bindings = migrate.add_subcommand(
        "bindings",
        "exercises on resource bindings (Fig. 3-19) and kinds of mobility (Fig. 3-18); -s SEED "
        "draws them, -c prints the answers, --table the figure");
    bindings->add_option("-s,--seed", b->seed, "draw the exercises from SEED (0 or more)")
        ->check(seed_number);
    bindings->add_flag("-c,--compute", b->compute, "print the answers and the reasoning");
    bindings->add_option("-n,--count", b->count, "how many exercises (1..100, default 5)");
    bindings->add_option("--kind", b->kind,
                         "binding (Fig. 3-19), mobility (Fig. 3-18) or mixed (default: every "
                         "third a mobility one)");
    bindings->add_flag("--table", b->table, "print Fig. 3-19, the whole table");
    bindings->add_flag("--json", b->json, "print the exercises (and with -c the answers) as JSON");
    graphviz::add_options(*bindings, b->drawing,
                          "Fig. 3-19 (with --table) or the exercises' program, resources and "
                          "(with -c) actions");

    auto a = std::make_shared<SimArgs>();
    auto* sim = migrate.add_subcommand(
        "sim",
        "a deterministic live-migration simulator (pre-copy, stop-and-copy, post-copy, hybrid) "
        "with exact answers; -s SEED makes a problem, -c prints the answers");
    a->cmd = sim;
    sim->footer(
        "Dirty models (--dirty), writes evenly spaced (by t seconds, floor(t RATE) pages):\n"
        "  idle                    no writes\n"
        "  uniform:RATE            RATE pages/s, each at random over all memory (seeded)\n"
        "  wws:PAGES:RATE[:FIRST]  a writable working set (Clark et al. 2005): pages\n"
        "                          FIRST..FIRST+PAGES-1 (FIRST = 0) rewritten round-robin\n"
        "  sweep:RATE              a sequential sweep through memory at RATE pages/s\n"
        "  phases:M@D,M@D,...      each model M for D (2s, 500ms, 250us); repeats\n"
        "                          e.g. phases:wws:256:5000@2s,uniform:100@3s\n"
        "Bandwidth: pages of 4 KiB per second (25000), or 100MB/s, 1GiB/s, 1Gbit\n"
        "(rounded down to whole pages/s). Rules: sim/migration/README.md.");
    sim->add_option("--memory", a->cfg.memory_pages, "guest memory in 4 KiB pages (default 1000)");
    sim->add_option("--dirty", a->cfg.dirty, "how the guest writes (default wws:100:500; below)");
    sim->add_option("--bandwidth", a->bandwidth,
                    "link bandwidth, pages/s or with a unit (default 1000)");
    sim->add_option("--policy", a->policy, "precopy (default), stopcopy, postcopy or hybrid");
    sim->add_option("--stop", a->cfg.stop,
                    "pre-copy stop rules: xen (30 rounds, 3x memory, < 50 dirty; default) or "
                    "qemu (downtime limit)");
    sim->add_option("--downtime-limit", a->cfg.downtime_limit_ms,
                    "with --stop qemu: the downtime limit in ms (default 300)");
    sim->add_option("--state-pages", a->cfg.state_pages,
                    "CPU and device state, in pages sent while paused (default 1)");
    sim->add_option("--latency", a->cfg.latency_us,
                    "post-copy: us for a fault's request to reach the source (default 200)");
    sim->add_option("--hybrid-rounds", a->cfg.hybrid_rounds,
                    "hybrid: pre-copy rounds before post-copy, at most (default 1)");
    sim->add_option("-s,--seed", a->seed, "make a problem from SEED (0 or more)")
        ->check(seed_number);
    sim->add_flag("-c,--compute", a->compute, "print the answers and the per-round table");
    sim->add_option("--trace", a->trace, "write a Chrome trace (Perfetto, ptv viz) to FILE");
    sim->add_flag("--json", a->json, "print the problem (and with -c the answers) as JSON");
    return {{bindings, [b] { return run_bindings(*b); }}, {sim, [a] { return run_sim(*a); }}};
}

}  // namespace ptv::cli
