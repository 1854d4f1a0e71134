// `ptv vmm problem`: Popek & Goldberg and the cost of each technique as
// seeded exercises in the OSTEP homework style (-s SEED makes a problem, -c
// prints the answers); every answer is a run of the CPU model
// (sim/vmm/problem/).
#include <charconv>
#include <cstdio>
#include <memory>

#include "../seed_option.hpp"
#include "ptv/vmm/problem/problem.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

namespace {

namespace vp = ptv::vmm::problem;

struct ProblemOptions {
    uint64_t seed = 0;
    bool compute = false, json = false;
};

int run_problem(const ProblemOptions& o) {
    const vp::Problem p = vp::generate(o.seed);
    const vp::SequenceRun run = vp::run_sequence(p);
    if (o.json)
        std::printf("%s\n", vp::to_json(p, run, o.compute).dump(2).c_str());
    else if (o.compute)
        std::fputs(vp::render_answers(p, run).c_str(), stdout);
    else
        std::fputs(
            (vp::render_problem(p, run) + "\nRun again with -c to see the answers.\n").c_str(),
            stdout);
    return 0;
}

}  // namespace

Commands vmm_problem_commands(CLI::App& vmm) {
    auto o = std::make_shared<ProblemOptions>();
    auto* cmd = vmm.add_subcommand(
        "problem",
        "Popek & Goldberg exercises answered by the CPU model; -s SEED makes a problem, -c "
        "prints the answers");
    cmd->add_option("-s,--seed", o->seed, "make a problem from SEED (0 or more)")
        ->check(ptv::cli::seed_number);
    cmd->add_flag("-c,--compute", o->compute, "print the answers");
    cmd->add_flag("--json", o->json, "print the problem (and with -c the answers) as JSON");
    return {{cmd, [o] { return run_problem(*o); }}};
}

}  // namespace ptv::cli
