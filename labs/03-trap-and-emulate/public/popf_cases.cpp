// Part 4: POPF, sensitive but not privileged (README.md). The VMM must
// report where the guest's POPF did not do what the bare machine would
// have done, and only there. These cases run the student's check_popf
// with the kit's trap handlers, so they grade divergence.cpp alone.
#include <fmt/format.h>

#include "harness/check.hpp"
#include "harness/guest_builder.hpp"
#include "ptv/lab/harness.hpp"

using namespace ptv::lab;
using namespace ptv::lab::trap;

PTV_LAB_CASE("popf-reported") {
    ctx.input(
        "the kit's guest popf (guests/popf.asm): cli, pushf, sti, popf with IF=0, mov ax, "
        "cs, sgdt, smsw");
    const GuestSpec guest = kit_guest("popf");
    const Run kit = run(guest, Under::KitVmm);
    const Run lab = run(guest, Under::StudentPopf);
    // Where the kit's VMM saw the POPF go wrong: the student's must say the same.
    uint32_t popf_eip = 0;
    for (const auto& d : kit.result.divergences)
        if (d.instruction == "popfd") popf_eip = d.eip;
    expect(popf_eip != 0, "the kit's reference VMM saw no POPF divergence in popf (a kit bug)");
    int reports = 0;
    for (const auto& d : lab.result.divergences) {
        if (d.instruction != "popfd") continue;
        ++reports;
        expect_eq(d.eip, popf_eip, "the EIP of the reported popfd");
        expect(!d.what.empty(), "the report says nothing about what diverged");
    }
    expect(reports > 0,
           fmt::format("the popfd at EIP {:#x} loaded IF=0, which the real processor in ring 3 "
                       "silently ignored, but the VMM reported no divergence there",
                       popf_eip));
    expect_eq(reports, 1, "reports of a divergence at a popfd");
    // And the rest of the run is the kit's: the same traps.
    expect_traps(kit.result.counters.traps, lab);
}

PTV_LAB_CASE("popf-silent") {
    GuestRecipe r;
    r.popf_ignored = true;
    r.ops = 4;
    GeneratedGuest g = generate_guest(ctx.seed(), r);
    ctx.input(fmt::format("a generated guest (seed {}):\n{}", ctx.seed(), g.description));
    GuestSpec spec;
    spec.name = "popf-silent";
    spec.image = std::move(g.image);
    spec.memory_mib = 4;
    check_guest(ctx, spec, nullptr, Under::StudentPopf);
}
