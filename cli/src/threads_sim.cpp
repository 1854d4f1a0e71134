// `ptv threads sim`: the threading-model simulator in the OSTEP homework
// style (-s SEED makes a problem, -c prints the answers). The rules are in
// sim/threads/sim/README.md.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/graphviz.hpp"
#include "ptv/threads/sim/report.hpp"
#include "ptv/threads/sim/simulator.hpp"
#include "ptv/threads/sim/workload.hpp"
#include "seed_option.hpp"

namespace ptv::cli {

namespace {

namespace ts = ptv::threads::sim;

struct SimOptions {
    std::string model = "many-to-one";
    int threads = 0;
    int lwps = 0;
    int cpus = 1;
    std::string workload;
    uint64_t seed = 0;
    bool compute = false;
    std::string trace;
    graphviz::Paths drawing;
    bool json = false;
    ts::Costs costs;
    int quantum = 0;
    CLI::Option *threads_opt = nullptr, *lwps_opt = nullptr, *workload_opt = nullptr;
};

ts::Problem make_problem(const SimOptions& o) {
    ts::Problem p;
    p.cfg.model = ts::parse_model(o.model);
    p.cfg.cpus = o.cpus;
    p.cfg.costs = o.costs;
    p.cfg.quantum = o.quantum;
    p.seed = o.seed;
    bool threads_given = o.threads_opt->count() > 0;
    if (threads_given && (o.threads < 1 || o.threads > ts::kMaxThreads))
        throw UsageError(
            fmt::format("--threads {}: give 1 to {} threads", o.threads, ts::kMaxThreads));
    if (o.workload_opt->count() > 0) {
        p.workload = ts::parse_workload(o.workload);
        if (threads_given && size_t(o.threads) != p.workload.size())
            throw UsageError(
                fmt::format("--threads {} but --workload describes {} thread{}; "
                            "make them agree or leave --threads out",
                            o.threads, p.workload.size(), p.workload.size() == 1 ? "" : "s"));
    } else {
        p.workload = ts::generate_workload(o.seed, threads_given ? o.threads : 0);
        p.generated = true;
    }
    int n = int(p.workload.size());
    bool lwps_given = o.lwps_opt->count() > 0;
    switch (p.cfg.model) {
        case ts::Model::ManyToMany:
            // Default: one LWP per CPU, as many systems did (at most one per thread).
            p.cfg.lwps = lwps_given ? o.lwps : std::min(o.cpus < 1 ? 1 : o.cpus, n);
            break;
        case ts::Model::ManyToOne:
            if (lwps_given && o.lwps != 1)
                throw UsageError(
                    fmt::format("--lwps {}: many-to-one has exactly 1 kernel "
                                "entity; leave --lwps out or use --model "
                                "many-to-many",
                                o.lwps));
            break;
        case ts::Model::OneToOne:
            if (lwps_given && o.lwps != n)
                throw UsageError(
                    fmt::format("--lwps {}: one-to-one has one kernel thread per "
                                "user thread ({}); leave --lwps out or use --model "
                                "many-to-many",
                                o.lwps, n));
            break;
        case ts::Model::Activations:
            if (lwps_given)
                throw UsageError(
                    "--lwps: activations have no LWPs (one virtual processor per "
                    "CPU); leave --lwps out or use --model many-to-many");
            break;
    }
    ts::validate(p.cfg, p.workload);
    return p;
}

int run_sim(const SimOptions& o) {
    ts::Problem p = make_problem(o);
    // Open the output files before printing anything: a bad path is a usage
    // error with nothing else on stdout.
    graphviz::Drawing drawing(o.drawing);
    std::optional<ptv::trace::TraceWriter> trace;
    if (!o.trace.empty()) trace.emplace(ptv::trace::TraceWriter::open(o.trace));
    ts::Result r = ts::simulate(p.cfg, p.workload);
    if (o.json) {
        std::printf("%s\n", ts::to_json(p, r, o.compute).dump(2).c_str());
    } else if (o.compute) {
        std::fputs(ts::render_answers(p, r).c_str(), stdout);
    } else {
        std::fputs(ts::render_problem(p, r).c_str(), stdout);
        std::fputs("\nRun again with -c to see the answers.\n", stdout);
    }
    if (trace) {
        ts::write_trace(*trace, p, r);
        if (!trace->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", o.trace));
    }
    if (drawing.wanted()) drawing.write(ts::to_dot(p, r));
    return 0;
}

}  // namespace

Commands threads_sim_commands(CLI::App& threads) {
    auto o = std::make_shared<SimOptions>();
    auto* sim = threads.add_subcommand(
        "sim",
        "simulate the threading models (Fig. 3-2, scheduler activations) tick by tick; "
        "-s SEED makes a problem, -c prints the answers");
    sim->add_option("--model", o->model, "many-to-one | one-to-one | many-to-many | activations")
        ->capture_default_str();
    o->threads_opt =
        sim->add_option("--threads", o->threads, "user threads (N; must match --workload)");
    o->lwps_opt =
        sim->add_option("--lwps", o->lwps, "LWPs for many-to-many (K, 1..N; default min(CPUs, N))");
    sim->add_option("--cpus", o->cpus, "CPUs (P)")->capture_default_str();
    o->workload_opt = sim->add_option(
        "--workload", o->workload,
        "bursts per thread, threads separated by ',' or ';': \"c5 b10 c3, c4\" (cN compute, "
        "bN block in a system call); default: generated from the seed");
    sim->add_option("-s,--seed", o->seed, "seed of the generated problem (0 or more)")
        ->check(ptv::cli::seed_number)
        ->capture_default_str();
    sim->add_flag("-c,--compute", o->compute, "print the answers and the per-tick table");
    sim->add_option("--user-switch", o->costs.user, "ticks of a user-level thread switch")
        ->capture_default_str();
    sim->add_option("--kernel-switch", o->costs.kernel,
                    "ticks of a kernel switch between kernel threads/LWPs")
        ->capture_default_str();
    sim->add_option("--upcall", o->costs.upcall, "ticks of an upcall (activations)")
        ->capture_default_str();
    sim->add_option("--quantum", o->quantum,
                    "kernel round-robin quantum in ticks (0 = run until block or done)")
        ->capture_default_str();
    sim->add_option("--trace", o->trace, "write a Chrome trace (Perfetto) to FILE");
    graphviz::add_options(*sim, o->drawing, "the thread -> LWP -> CPU mapping");
    sim->add_flag("--json", o->json, "print the problem (and with -c the answers) as JSON");
    return {{sim, [o] { return run_sim(*o); }}};
}

}  // namespace ptv::cli
