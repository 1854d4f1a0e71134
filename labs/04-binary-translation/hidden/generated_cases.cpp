// The hidden cases: generated guests (harness/generator.hpp), against the
// native run and, where the kit's own decisions make the same translations
// as the reference's, against the kit's counts.
#include <fmt/format.h>

#include "harness/api.hpp"
#include "harness/generator.hpp"
#include "harness/runner.hpp"

namespace ptv::lab::bt {

PTV_LAB_CASE("generated-indirect") {
    const GeneratedGuest gen = generate_guest(ctx.seed(), false);
    ctx.input(gen.description);
    const Guest g{"generated", gen.image, ""};
    const vmm::RunResult native = run_native(g);
    const Translated t = run_translated(g, only_student(Part::Chain));
    expect_equivalent(native, t);
    // No write into code: the kit's translator makes exactly the reference's units.
    const Translated kit = run_translated(g, vmm::TranslatorDecisions{});
    expect_callouts(t, kit.counters.callouts);
    expect_eq(t.counters.translations, kit.counters.translations, "translations");
    expect_eq(t.counters.chained, kit.counters.chained, "chained transfers");
    expect_eq(t.counters.lookups, kit.counters.lookups, "lookups");
}

PTV_LAB_CASE("generated-smc") {
    const GeneratedGuest gen = generate_guest(ctx.seed(), true);
    ctx.input(gen.description);
    const Guest g{"generated", gen.image, ""};
    const vmm::RunResult native = run_native(g);
    const Translated t = run_translated(g, only_student(Part::Invalidate));
    expect_equivalent(native, t);
    const Translated kit = run_translated(g, vmm::TranslatorDecisions{});
    expect_callouts(t, kit.counters.callouts);
    // The kit invalidates whole 256-byte code lines: by the bytes written,
    // no more units are translated again than that.
    ctx.measure("retranslations", double(t.counters.retranslations));
    expect(t.counters.retranslations <= kit.counters.retranslations,
           fmt::format("{} retranslations; invalidating every unit in the written code lines "
                       "would make only {}",
                       t.counters.retranslations, kit.counters.retranslations));
    expect(t.counters.units_invalidated > 0,
           "no unit was invalidated, yet the guest rewrites code");
}

}  // namespace ptv::lab::bt
