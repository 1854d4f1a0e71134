// `ptv vmm problem`: seeded exercises on Popek & Goldberg (1974) and on
// what each virtualization technique costs, answered by the CPU model.
//
// A problem draws (SplitMix64, common/rng.hpp) one instruction to classify
// and a short sequence of instructions. The answers are runs, not a table:
// - privileged: the instruction traps into the VMM when the guest kernel
//   runs deprivileged in ring 3 (trap-and-emulate counts one more trap with
//   it than without it);
// - sensitive: it traps (the VMM must emulate it) or, not trapping, lets the
//   guest see something the bare machine would not have shown it (a
//   divergence, or a final state that is no longer equivalent to native);
// - virtualized by trap-and-emulate: every sensitive instruction is
//   privileged (P&G's theorem), i.e. the run under trap-and-emulate is
//   equivalent to the native one;
// - the sequence's traps under trap-and-emulate and VM exits under the VMX
//   model are the counters of one run of the sequence's guest under each.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::vmm::problem {

enum class Class {
    Innocuous,              // neither privileged nor sensitive: runs directly
    Privileged,             // sensitive and privileged: traps, the VMM emulates it
    SensitiveUnprivileged,  // sensitive, does not trap: trap-and-emulate fails
};
const char* to_string(Class c);  // "innocuous", "privileged", "sensitive-unprivileged"

struct Classification {
    bool privileged = false, sensitive = false, virtualized = false;
    uint64_t traps = 0;                    // traps it adds under trap-and-emulate
    std::vector<std::string> divergences;  // what the guest saw differently
    Class cls = Class::Innocuous;
};

// Runs snippet `index` under native and trap-and-emulate, with and without
// the instruction (memoised: the model is deterministic).
const Classification& classify(size_t index);

struct Problem {
    uint64_t seed = 0;
    size_t instruction = 0;        // a snippet to classify
    std::vector<size_t> sequence;  // snippets run in order
};

Problem generate(uint64_t seed);

struct SequenceRun {
    std::vector<std::string> source;  // the whole guest
    uint64_t traps = 0;               // trap-and-emulate: traps into the VMM
    uint64_t exits = 0;               // VMX model: VM exits
    nlohmann::json traps_by_cause, exits_by_reason;
};
SequenceRun run_sequence(const Problem& p);

// Worth asking: the sequence mixes instructions that trap with ones that
// do not (else counting is counting instructions). "" when it is, else why
// not ("every instruction of the sequence traps").
std::string why_not_worth_asking(const Problem& p);

std::string render_problem(const Problem& p, const SequenceRun& run);
std::string render_answers(const Problem& p, const SequenceRun& run);
nlohmann::json to_json(const Problem& p, const SequenceRun& run, bool answers);

}  // namespace ptv::vmm::problem
