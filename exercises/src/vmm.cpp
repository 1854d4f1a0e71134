// Questions on Popek & Goldberg (1974) and on what trap-and-emulate and
// VT-x cost, from `ptv vmm problem -s SEED -c`: every answer is a run of
// the CPU model (sim/vmm/problem/).
#include "make.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/exercises/generator.hpp"
#include "ptv/vmm/problem/problem.hpp"
#include "ptv/vmm/problem/snippet.hpp"

namespace ptv::exercises {

namespace {

namespace vp = ptv::vmm::problem;
using detail::kExact;

std::string listing(const std::vector<std::string>& source) {
    std::string s;
    for (const auto& line : source) s += "    " + line + "\n";
    return s;
}

class VmmGenerator : public Generator {
  public:
    std::string module() const override { return "vmm"; }

    Attempt make(uint64_t seed) const override {
        const vp::Problem p = vp::generate(seed);
        const std::string command = fmt::format("ptv vmm problem -s {} -c", seed);
        SplitMix64 rng(seed ^ 0x6578766d6d707267ull);  // "exvmmprg"
        const uint64_t kind = rng.below(4);
        if (kind >= 2)
            if (std::string why = vp::why_not_worth_asking(p); !why.empty())
                return {std::nullopt, why};
        const vp::SequenceRun run = vp::run_sequence(p);
        const nlohmann::json out = vp::to_json(p, run, true);
        Question q;
        if (kind < 2) {
            const vp::Snippet& s = vp::snippets().at(p.instruction);
            q = detail::base(
                module(), seed, command, fmt::format("Popek & Goldberg: {}", s.instruction),
                fmt::format("Virtualization (ch. 3.2), Popek & Goldberg (1974) on classic x86 "
                            "(no VT-x). Trap-and-emulate runs a guest kernel deprivileged in "
                            "ring 3; every general-protection fault is a trap into the VMM. The "
                            "kernel executes:\n    {}\nWhich describes `{}`?",
                            vp::assembly(s), s.instruction));
            detail::multichoice(
                q, out, {"/answers/classification/class"},
                {{"innocuous",
                  "neither privileged nor sensitive: it runs directly, and trap-and-emulate "
                  "virtualizes it",
                  out["answers"]["classification"]["class"] == "innocuous" ? 100.0 : 0.0},
                 {"privileged",
                  "privileged and sensitive: it traps in ring 3, the VMM emulates it, and "
                  "trap-and-emulate virtualizes it",
                  out["answers"]["classification"]["class"] == "privileged" ? 100.0 : 0.0},
                 {"sensitive-unprivileged",
                  "sensitive but not privileged: it does not trap in ring 3, so "
                  "trap-and-emulate cannot virtualize it",
                  out["answers"]["classification"]["class"] == "sensitive-unprivileged" ? 100.0
                                                                                        : 0.0},
                 {"privileged-not-sensitive",
                  "privileged but not sensitive: it traps, and the VMM runs it unchanged", 0.0}});
            std::string saw;
            for (const auto& d : out["answers"]["classification"]["divergences"])
                saw += " " + d.get<std::string>() + ".";
            q.explanation =
                "The CPU model ran it natively and under trap-and-emulate, with and without the "
                "instruction." +
                saw;
        } else if (kind == 2) {
            q = detail::base(
                module(), seed, command, "traps under trap-and-emulate",
                "Virtualization (ch. 3.2). Trap-and-emulate runs this guest kernel deprivileged "
                "in ring 3 with IOPL 0; every general-protection fault is a trap into the VMM, "
                "which emulates the instruction:\n" +
                    listing(run.source) +
                    "How many traps into the VMM does it cause, the final OUT included?");
            detail::numerical(q, out, "/answers/trap_emulate/traps", "traps", 0, kExact);
            q.explanation = "With -c it also gives the traps by cause.";
        } else {
            q = detail::base(
                module(), seed, command, "VM exits under VT-x",
                "Virtualization (ch. 3.2). The VMX model (VT-x) runs this guest kernel in "
                "non-root ring 0; its VMCS (see 'ptv vmm vmcs') decides which instructions "
                "exit to the VMM:\n" +
                    listing(run.source) +
                    "How many VM exits does it cause, the final OUT included?");
            detail::numerical(q, out, "/answers/vmx/exits", "exits", 0, kExact);
            q.explanation = "With -c it also gives the exits by reason.";
        }
        return {std::move(q), ""};
    }
};

}  // namespace

std::unique_ptr<Generator> vmm_generator() {
    return std::make_unique<VmmGenerator>();
}

}  // namespace ptv::exercises
