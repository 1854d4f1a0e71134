// Questions on the threading models (ch. 3.1, Fig. 3-2; Anderson et al.
// 1992) from `ptv threads sim -s SEED -c`: the problem is the simulator's
// generated workload, the answer its own JSON.
#include <algorithm>

#include "make.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/exercises/generator.hpp"
#include "ptv/threads/sim/report.hpp"
#include "ptv/threads/sim/simulator.hpp"

namespace ptv::exercises {

namespace {

namespace ts = ptv::threads::sim;
using detail::kExact;

const char* blurb(ts::Model m) {
    switch (m) {
        case ts::Model::ManyToOne:
            return "user-level threads: every user thread on one kernel entity, the process; a "
                   "blocking system call blocks the process";
        case ts::Model::OneToOne:
            return "kernel threads: one kernel thread per user thread, scheduled by the kernel";
        case ts::Model::ManyToMany:
            return "lightweight processes (Fig. 3-2): the user threads over 2 LWPs; an LWP "
                   "blocks with its thread";
        case ts::Model::Activations:
            return "scheduler activations (Anderson et al. 1992): a block or an unblock is an "
                   "upcall to the user-level scheduler";
    }
    return "";
}

class ThreadsGenerator : public Generator {
  public:
    std::string module() const override { return "threads"; }

    Attempt make(uint64_t seed) const override {
        ts::Problem p;
        p.seed = seed;
        p.generated = true;
        p.workload = ts::generate_workload(seed);
        // A problem without a system call is the same under every model.
        const bool blocks = std::any_of(p.workload.begin(), p.workload.end(), [](const auto& t) {
            return std::any_of(t.begin(), t.end(),
                               [](const ts::Burst& b) { return b.kind == ts::Burst::Block; });
        });
        if (!blocks) return {std::nullopt, "no blocking call"};
        SplitMix64 rng(seed ^ 0x6578746872656164ull);  // "exthread": apart from the workload's
        static constexpr ts::Model kModels[] = {ts::Model::ManyToOne, ts::Model::OneToOne,
                                                ts::Model::ManyToMany, ts::Model::Activations};
        p.cfg.model = kModels[rng.below(4)];
        std::string command = fmt::format("ptv threads sim --model {}", ts::to_string(p.cfg.model));
        if (p.cfg.model == ts::Model::ManyToMany) {
            p.cfg.lwps = 2;
            command += " --lwps 2";
        }
        command += fmt::format(" -s {} -c", seed);
        ts::validate(p.cfg, p.workload);
        const ts::Result r = ts::simulate(p.cfg, p.workload);
        const nlohmann::json out = ts::to_json(p, r, true);

        std::string text = fmt::format(
            "Threading models (ch. 3.1). Model: {} -- {}.\n"
            "1 CPU; costs in ticks: user-level switch {}, kernel switch {}, upcall {}; no "
            "quantum. Queues are FIFO and a user thread keeps its CPU until it blocks or is "
            "done (the rules: sim/threads/sim/README.md).\n"
            "Workload (cN = compute N ticks, bN = block in a system call N ticks):\n",
            ts::to_string(p.cfg.model), blurb(p.cfg.model), p.cfg.costs.user, p.cfg.costs.kernel,
            p.cfg.costs.upcall);
        for (size_t i = 0; i < p.workload.size(); ++i)
            text += fmt::format("  U{}: {}\n", i, ts::to_string(p.workload[i]));
        text +=
            "Tick t is the interval [t, t+1); a thread is DONE at the tick after its last "
            "burst.\n";

        const int n = int(p.workload.size());
        Question q;
        switch (rng.below(4)) {
            case 0:
                q = detail::base(module(), seed, command, "makespan",
                                 text + "At which tick is the last user thread DONE?");
                detail::numerical(q, out, "/makespan", "ticks", 0, kExact);
                break;
            case 1: {
                const int u = int(rng.below(uint64_t(n)));
                q = detail::base(module(), seed, command, fmt::format("U{} done", u),
                                 text + fmt::format("At which tick is U{} DONE?", u));
                detail::numerical(q, out, fmt::format("/finish/{}", u), "ticks", 0, kExact);
                break;
            }
            case 2:
                q = detail::base(
                    module(), seed, command, "utilisation",
                    text +
                        "What is the CPU utilisation in percent: compute ticks / (CPUs x "
                        "the tick at which the last thread is DONE)?");
                detail::numerical(q, out, "/utilisation", "%", 0.1,
                                  "a ratio; the simulator prints it to 0.1%, so 0.1 accepts its "
                                  "rounded figure",
                                  100);
                break;
            default: {
                const int t = ts::question_ticks(seed, r.makespan, 1).front();
                q = detail::base(module(), seed, command, fmt::format("CPU0 at tick {}", t),
                                 text + fmt::format("What does CPU0 do at tick {}?", t));
                std::vector<Choice> choices;
                const std::string right = key_of(out["ticks"][size_t(t)]["cpus"][0]);
                auto add = [&](std::string key, std::string words) {
                    choices.push_back({key, std::move(words), key == right ? 100.0 : 0.0});
                };
                for (int u = 0; u < n; ++u)
                    add(fmt::format("U{}", u), fmt::format("it runs U{}", u));
                add("idle", "it is idle");
                add("switch", "it pays a thread switch");
                if (p.cfg.model == ts::Model::Activations) add("upcall", "it runs an upcall");
                detail::multichoice(q, out, {fmt::format("/ticks/{}/cpus/0", t)},
                                    std::move(choices));
                break;
            }
        }
        q.explanation = "With -c the simulator also prints the per-tick table.";
        return {std::move(q), ""};
    }
};

}  // namespace

std::unique_ptr<Generator> threads_generator() {
    return std::make_unique<ThreadsGenerator>();
}

}  // namespace ptv::exercises
