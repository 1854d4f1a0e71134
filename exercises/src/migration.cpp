// Questions on live VM migration (ch. 3.5; Clark et al. 2005, Hines &
// Gopalan 2009) from `ptv migrate sim -s SEED -c`.
#include "make.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/exercises/generator.hpp"
#include "ptv/migration/sim/problem.hpp"
#include "ptv/migration/sim/report.hpp"

namespace ptv::exercises {

namespace {

namespace ms = ptv::migration::sim;
using detail::kExact;

constexpr const char* kMs =
    "times are exact multiples of the model's clock; the simulator prints them to the "
    "microsecond, so 0.001 ms accepts its figure";

// Worth asking: pre-copy visibly converges (the dirty set shrinks over at
// least two rounds) or plateaus (Clark et al.'s writable working set);
// post-copy makes the guest fault on a page that is not there yet.
std::string why_not(const ms::Config& c, const ms::Result& r) {
    if (c.policy == ms::Policy::PreCopy) {
        if (r.plateau) return "";
        if (r.rounds.size() < 2) return "pre-copy stops after its first round";
        if (r.rounds.back().pages_dirty < r.rounds.front().pages_dirty) return "";
        return "the dirty set neither shrinks nor plateaus";
    }
    if ((c.policy == ms::Policy::PostCopy || c.policy == ms::Policy::Hybrid) &&
        r.remote_faults == 0)
        return "no remote fault";
    return "";
}

class MigrationGenerator : public Generator {
  public:
    std::string module() const override { return "migration"; }

    Attempt make(uint64_t seed) const override {
        ms::Problem p;
        p.seed = seed;
        p.generated = true;
        p.cfg = ms::generate(seed);
        ms::validate(p.cfg);
        const ms::Result r = ms::simulate(p.cfg, seed);
        if (std::string why = why_not(p.cfg, r); !why.empty()) return {std::nullopt, why};
        const nlohmann::json out = ms::to_json(p, r, true);
        const std::string command = fmt::format("ptv migrate sim -s {} -c", seed);
        // The simulator's own statement of the problem, without its list of
        // questions: this question asks one thing.
        std::string text = ms::render_problem(p);
        text = text.substr(0, text.find("\nQuestions:"));
        text += "\n";

        struct Ask {
            const char *title, *question, *pointer, *unit;
            double tolerance;
            const char* why;
        };
        std::vector<Ask> asks = {
            {"downtime", "What is the downtime (the guest paused), in ms?", "/answers/downtime_ms",
             "ms", 0.001, kMs},
            {"total time", "How long until every page is on the destination, in ms?",
             "/answers/total_ms", "ms", 0.001, kMs},
            {"pages sent", "How many memory pages are sent in all (the state not counted)?",
             "/answers/pages_sent", "pages", 0, kExact},
        };
        std::string rounds_ptr;
        if (p.cfg.policy == ms::Policy::PreCopy) {
            rounds_ptr = fmt::format("/answers/rounds/{}/round", r.rounds.size() - 1);
            asks.push_back({"rounds", "After which pre-copy round does the policy stop?",
                            rounds_ptr.c_str(), "rounds", 0, kExact});
        }
        if (p.cfg.policy == ms::Policy::PostCopy || p.cfg.policy == ms::Policy::Hybrid)
            asks.push_back({"remote faults", "How many remote faults does the guest take?",
                            "/answers/postcopy/remote_faults", "faults", 0, kExact});
        SplitMix64 rng(seed ^ 0x65786d6967726174ull);  // "exmigrat"
        const Ask& a = asks[rng.below(asks.size())];
        Question q = detail::base(module(), seed, command, a.title, text + a.question);
        detail::numerical(q, out, a.pointer, a.unit, a.tolerance, a.why);
        q.explanation = "With -c the simulator also prints the per-round table and every total.";
        if (std::string obs = ms::plateau_observation(r); !obs.empty()) {
            if (obs.back() == '\n') obs.pop_back();
            q.explanation += " " + obs;
        }
        return {std::move(q), ""};
    }
};

}  // namespace

std::unique_ptr<Generator> migration_generator() {
    return std::make_unique<MigrationGenerator>();
}

}  // namespace ptv::exercises
