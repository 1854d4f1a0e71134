// Questions on code mobility (ch. 3.5) from `ptv migrate bindings`: the
// binding action of Fig. 3-19 and the kind of mobility of Fig. 3-18, as
// multiple choice. The book's alternatives ("MV (or GR)") earn half.
#include "ptv/migration/sim/bindings.hpp"
#include "make.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/exercises/generator.hpp"

namespace ptv::exercises {

namespace {

namespace ms = ptv::migration::sim;

class BindingsGenerator : public Generator {
  public:
    std::string module() const override { return "bindings"; }

    Attempt make(uint64_t seed) const override {
        // Every third a mobility question, as `ptv migrate bindings` mixes them.
        SplitMix64 rng(seed ^ 0x657862696e64696eull);  // "exbindin"
        const bool mobility = rng.below(3) == 2;
        const std::string kind = mobility ? "mobility" : "binding";
        const auto ex = ms::make_exercises(seed, 1, kind);
        const nlohmann::json out = ms::exercises_json(seed, ex, true);
        const std::string command =
            fmt::format("ptv migrate bindings -s {} -n 1 --kind {} -c", seed, kind);
        Question q;
        if (!mobility) {
            const ms::Resource& r = ms::resource_catalogue()[ex[0].index];
            const auto acts = ms::actions(r.binding, r.attachment);
            q = detail::base(
                module(), seed, command, "binding action (Fig. 3-19)",
                fmt::format("Code migration (ch. 3.5, Fig. 3-19). A program about to migrate to "
                            "another machine uses {}. What should happen to its binding to that "
                            "resource?",
                            r.name));
            std::vector<Choice> choices;
            for (ms::Action a : {ms::Action::MV, ms::Action::GR, ms::Action::CP, ms::Action::RB}) {
                double fraction = 0;
                for (size_t i = 0; i < acts.size(); ++i)
                    if (acts[i] == a) fraction = i == 0 ? 100 : 50;
                choices.push_back(
                    {ms::code(a), fmt::format("{}: {}", ms::code(a), ms::words(a)), fraction});
            }
            detail::multichoice(q, out, {"/exercises/0/actions/0"}, std::move(choices));
            q.explanation =
                fmt::format("Binding {}: {}. Attachment {}: {}. Fig. 3-19 gives {} first{}.",
                            ms::to_string(r.binding), r.why_binding, ms::to_string(r.attachment),
                            r.why_attachment, ms::code(acts[0]),
                            acts.size() > 1 ? "; its alternatives earn half" : "");
        } else {
            const ms::Scenario& s = ms::scenario_catalogue()[ex[0].index];
            q = detail::base(module(), seed, command, "kind of mobility (Fig. 3-18)",
                             fmt::format("Code migration (ch. 3.5, Fig. 3-18). {} Which kind of "
                                         "mobility is this?",
                                         s.text));
            const bool strong = std::holds_alternative<ms::StrongMobility>(s.mobility);
            const bool cloning = strong && std::get<ms::StrongMobility>(s.mobility).cloning;
            const std::string who = ms::to_string(s.initiative);
            std::vector<Choice> choices;
            for (const char* init : {"sender", "receiver"}) {
                const bool same_init = who == init;
                choices.push_back({fmt::format("weak, {}", init),
                                   fmt::format("weak mobility, {}-initiated", init),
                                   !strong ? (same_init ? 100.0 : 50.0) : 0.0});
                for (bool clone : {false, true}) {
                    const bool same = strong && clone == cloning;
                    choices.push_back(
                        {fmt::format("strong, {}, {}", init, clone ? "true" : "false"),
                         fmt::format("strong mobility, {}-initiated, {}", init,
                                     clone ? "cloning" : "migration"),
                         same ? (same_init ? 100.0 : 50.0) : 0.0});
                }
            }
            std::vector<std::string> pointers = {"/exercises/0/mobility",
                                                 "/exercises/0/initiative"};
            if (strong) pointers.push_back("/exercises/0/cloning");
            detail::multichoice(q, out, std::move(pointers), std::move(choices));
            q.explanation =
                fmt::format("{}. The right kind with the wrong initiative earns half.", s.why);
        }
        return {std::move(q), ""};
    }
};

}  // namespace

std::unique_ptr<Generator> bindings_generator() {
    return std::make_unique<BindingsGenerator>();
}

}  // namespace ptv::exercises
