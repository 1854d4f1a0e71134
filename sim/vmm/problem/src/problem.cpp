// `ptv vmm problem` (problem.hpp): each answer is a run of the CPU model.
#include "ptv/vmm/problem/problem.hpp"

#include <fmt/format.h>

#include <map>
#include <numeric>
#include <stdexcept>

#include "ptv/common/rng.hpp"
#include "ptv/vmm/problem/guest_image.hpp"
#include "ptv/vmm/run.hpp"

namespace ptv::vmm::problem {

namespace {

RunResult run(const GuestImage& g, const std::string& technique) {
    RunOptions o;
    o.guest.image = g.image;
    o.guest.name = "problem";
    o.guest.memory_mib = 4;  // the guest lives below 2 MiB
    o.technique = technique;
    o.max_instructions = 100'000;
    RunResult r = run_guest(o);
    // Every snippet runs to the debug-exit port on every technique; anything
    // else is a snippet the model does not run as written.
    if (r.outcome != "guest-exit")
        throw std::runtime_error(fmt::format("the problem's guest ended {} under {}: {}", r.outcome,
                                             technique, r.message));
    return r;
}

uint64_t total(const std::map<std::string, uint64_t>& counts) {
    uint64_t n = 0;
    for (const auto& [what, k] : counts) n += k;
    return n;
}

}  // namespace

const char* to_string(Class c) {
    switch (c) {
        case Class::Innocuous:
            return "innocuous";
        case Class::Privileged:
            return "privileged";
        case Class::SensitiveUnprivileged:
            return "sensitive-unprivileged";
    }
    return "?";
}

const Classification& classify(size_t index) {
    static std::map<size_t, Classification> memo;
    if (auto it = memo.find(index); it != memo.end()) return it->second;
    const Snippet& s = snippets().at(index);
    const GuestImage with = build_guest({&s}), without = build_guest({&s}, false);
    const RunResult native = run(with, "native"), te = run(with, "trap-emulate");
    const RunResult native0 = run(without, "native"), te0 = run(without, "trap-emulate");
    Classification c;
    const uint64_t traps = total(te.counters.traps), traps0 = total(te0.counters.traps);
    c.traps = traps > traps0 ? traps - traps0 : 0;
    c.privileged = c.traps > 0;
    const Equivalence eq = compare_states(native, te.final_state, te.output);
    const Equivalence eq0 = compare_states(native0, te0.final_state, te0.output);
    for (size_t i = te0.divergences.size(); i < te.divergences.size(); ++i)
        c.divergences.push_back(te.divergences[i].what);
    if (!eq.equivalent && eq0.equivalent)
        c.divergences.insert(c.divergences.end(), eq.differences.begin(), eq.differences.end());
    const bool diverged = !c.divergences.empty();
    c.sensitive = c.privileged || diverged;
    c.virtualized = !diverged;
    c.cls = c.privileged ? Class::Privileged
                         : (diverged ? Class::SensitiveUnprivileged : Class::Innocuous);
    return memo.emplace(index, std::move(c)).first->second;
}

Problem generate(uint64_t seed) {
    SplitMix64 rng(seed ^ 0x766d6d70726f626cull);  // "vmmprobl"
    Problem p;
    p.seed = seed;
    const size_t n = snippets().size();
    p.instruction = size_t(rng.below(n));
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    for (size_t i = 0; i < 4; ++i) {
        std::swap(order[i], order[i + size_t(rng.below(n - i))]);
        p.sequence.push_back(order[i]);
    }
    return p;
}

SequenceRun run_sequence(const Problem& p) {
    std::vector<const Snippet*> parts;
    for (size_t i : p.sequence) parts.push_back(&snippets().at(i));
    const GuestImage g = build_guest(parts);
    const RunResult te = run(g, "trap-emulate"), vmx = run(g, "vmx");
    SequenceRun r;
    r.source = g.source;
    r.traps = total(te.counters.traps);
    r.exits = total(vmx.counters.exits);
    r.traps_by_cause = te.counters.traps;
    r.exits_by_reason = vmx.counters.exits;
    return r;
}

std::string why_not_worth_asking(const Problem& p) {
    size_t trapping = 0;
    for (size_t i : p.sequence) trapping += classify(i).privileged ? 1 : 0;
    if (trapping == p.sequence.size()) return "every instruction of the sequence traps";
    if (trapping == 0) return "no instruction of the sequence traps";
    return "";
}

std::string render_problem(const Problem& p, const SequenceRun& run) {
    const Snippet& s = snippets().at(p.instruction);
    std::string t = fmt::format(
        "Virtualization (ch. 3.2): Popek & Goldberg (1974) on a model of classic x86.\n"
        "Problem of seed {}.\n\n",
        p.seed);
    t += fmt::format(
        "  1. A guest kernel runs `{}`. Is `{}` privileged (does it trap when the kernel runs\n"
        "     deprivileged in ring 3), is it sensitive, and does trap-and-emulate virtualize "
        "it?\n",
        assembly(s), s.instruction);
    t += "  2. This guest kernel runs under trap-and-emulate (the kernel deprivileged to ring 3, "
         "every #GP a trap\n     into the VMM) and under the VMX model (VT-x: the kernel keeps "
         "ring 0, the VMCS decides what exits).\n     How many traps into the VMM, and how "
         "many VM exits, does it cause?\n";
    for (const auto& line : run.source) t += "       " + line + "\n";
    return t;
}

std::string render_answers(const Problem& p, const SequenceRun& run) {
    const Classification& c = classify(p.instruction);
    const Snippet& s = snippets().at(p.instruction);
    std::string t = render_problem(p, run) + "\nAnswers:\n";
    t += fmt::format(
        "  1. {}: privileged {}, sensitive {}; trap-and-emulate virtualizes it: {} ({}).\n",
        s.instruction, c.privileged ? "yes" : "no", c.sensitive ? "yes" : "no",
        c.virtualized ? "yes" : "no", to_string(c.cls));
    if (c.privileged)
        t += fmt::format("     It trapped {} time{} in ring 3; the VMM emulated it.\n", c.traps,
                         c.traps == 1 ? "" : "s");
    for (const auto& d : c.divergences) t += "     The guest saw: " + d + "\n";
    std::string causes, reasons;
    for (const auto& [k, v] : run.traps_by_cause.items())
        causes += fmt::format("{}{} {}", causes.empty() ? "" : ", ", v.get<uint64_t>(), k);
    for (const auto& [k, v] : run.exits_by_reason.items())
        reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", v.get<uint64_t>(), k);
    t += fmt::format("  2. trap-and-emulate: {} trap{} ({}); VMX model: {} VM exit{} ({}).\n",
                     run.traps, run.traps == 1 ? "" : "s", causes, run.exits,
                     run.exits == 1 ? "" : "s", reasons);
    return t;
}

nlohmann::json to_json(const Problem& p, const SequenceRun& run, bool answers) {
    const Snippet& s = snippets().at(p.instruction);
    nlohmann::json j = {{"seed", p.seed},
                        {"instruction", {{"text", s.instruction}, {"context", assembly(s)}}},
                        {"guest", run.source}};
    if (!answers) return j;
    const Classification& c = classify(p.instruction);
    j["answers"] = {{"classification",
                     {{"privileged", c.privileged},
                      {"sensitive", c.sensitive},
                      {"virtualized", c.virtualized},
                      {"class", to_string(c.cls)},
                      {"traps", c.traps},
                      {"divergences", c.divergences}}},
                    {"trap_emulate", {{"traps", run.traps}, {"by_cause", run.traps_by_cause}}},
                    {"vmx", {{"exits", run.exits}, {"by_reason", run.exits_by_reason}}}};
    return j;
}

}  // namespace ptv::vmm::problem
