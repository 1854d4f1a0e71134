// The public cases: the kit's guests popf, kernel, hello, jumptable and smc
// under binary translation with the student's decisions, against the
// native run (equivalence) and the reference solution's counts (exact).
#include <fmt/format.h>

#include <optional>

#include "harness/api.hpp"
#include "harness/runner.hpp"

namespace ptv::lab::bt {

namespace {

// The reference solution's counts on the kit's guests.
struct Reference {
    const char* guest;
    uint64_t translations, retranslations, units_invalidated, chained, lookups, cycles;
    std::map<std::string, uint64_t> callouts;
};

const Reference& reference(const std::string& guest) {
    static const std::vector<Reference> refs = {
#include "harness/reference_counts.inc"
    };
    for (const auto& r : refs)
        if (guest == r.guest) return r;
    throw Failure("no reference counts for " + guest);
}

// `guest` translated with the student's decisions of `part` (all three
// without one), and checked against its native run.
Translated equivalent_run(Context& ctx, const std::string& guest, std::optional<Part> part = {}) {
    const Guest g{guest, {}, ""};
    ctx.input(fmt::format("the kit's guest {} (guests/{}.asm)", guest, guest));
    const vmm::RunResult native = run_native(g);
    Translated t = run_translated(g, part ? only_student(*part) : student_decisions());
    expect_equivalent(native, t);
    return t;
}

void expect_count(Context& ctx, const std::string& guest, const char* what, uint64_t got,
                  uint64_t expected) {
    ctx.measure(guest + " " + what, double(got));
    expect_eq(got, expected, guest + ": " + what);
}

}  // namespace

// ------------------------------------------------------ part 1: classify --

PTV_LAB_CASE("popf-equivalent") {
    equivalent_run(ctx, "popf", Part::Classify);
}

PTV_LAB_CASE("kernel-equivalent") {
    equivalent_run(ctx, "kernel", Part::Classify);
}

PTV_LAB_CASE("callouts-exact") {
    for (const char* guest : {"popf", "kernel", "hello"}) {
        const Translated t = equivalent_run(ctx, guest, Part::Classify);
        expect_callouts(t, reference(guest).callouts);
    }
    ctx.input("the kit's guests popf, kernel and hello: callouts by instruction");
}

// ------------------------------------------------------- part 2: chaining --

PTV_LAB_CASE("jumptable-equivalent") {
    equivalent_run(ctx, "jumptable", Part::Chain);
}

PTV_LAB_CASE("chained-transfers") {
    for (const char* guest : {"jumptable", "kernel", "hello"}) {
        const Translated t = equivalent_run(ctx, guest, Part::Chain);
        const Reference& r = reference(guest);
        expect_count(ctx, guest, "chained transfers", t.counters.chained, r.chained);
        expect_count(ctx, guest, "lookups", t.counters.lookups, r.lookups);
    }
    ctx.input(
        "the kit's guests jumptable, kernel and hello: transfers through a chain and "
        "through lookup()");
}

PTV_LAB_CASE("modelled-cycles") {
    // All three decisions of the student's at once, within 2% of the
    // reference on each guest: a translator that looks up
    // what it could chain, or translates what it need not, pays for it.
    for (const char* guest : {"jumptable", "kernel", "smc"}) {
        const Translated t = equivalent_run(ctx, guest);
        const uint64_t ref = reference(guest).cycles;
        ctx.measure(fmt::format("{} cycles / reference", guest),
                    double(t.result.cycles) / double(ref));
        expect(t.result.cycles * 100 <= ref * 102,
               fmt::format("{}: {} modelled cycles, more than 2% over the reference's {}", guest,
                           t.result.cycles, ref));
    }
    ctx.input("the kit's guests jumptable, kernel and smc: modelled cycles (cost_model.hpp)");
}

// --------------------------------------------------- part 3: invalidation --

PTV_LAB_CASE("smc-equivalent") {
    equivalent_run(ctx, "smc", Part::Invalidate);
}

PTV_LAB_CASE("smc-counts") {
    const Translated t = equivalent_run(ctx, "smc", Part::Invalidate);
    const Reference& r = reference("smc");
    expect_count(ctx, "smc", "translations", t.counters.translations, r.translations);
    expect_count(ctx, "smc", "retranslations", t.counters.retranslations, r.retranslations);
    expect_count(ctx, "smc", "units invalidated", t.counters.units_invalidated,
                 r.units_invalidated);
    expect_callouts(t, r.callouts);
}

}  // namespace ptv::lab::bt
