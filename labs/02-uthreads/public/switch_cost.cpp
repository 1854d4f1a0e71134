// Public case: what a switch between two user-level threads costs, beside
// a bare Boost.Context switch measured in the same run (the one case that
// looks at time; the threshold is generous, the figures always shown).
#include <cstdio>

#include "harness/switch_cost.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

PTV_LAB_CASE("switch-cost") {
    constexpr double kMaxRatio = 10;
    const uthread::lab::SwitchCost c = uthread::lab::measure_switch_cost(400000, 5);
    ctx.measure("switch_ratio", c.ratio());
    ctx.measure("yield_ns", c.yield_ns);
    ctx.measure("bare_switch_ns", c.bare_call_ns);
    ctx.measure("bare_switch_inline_ns", c.bare_inline_ns);
    std::printf("yield: %.1f ns per switch; bare Boost.Context switch: %.1f ns (%.1f ns inlined)\n",
                c.yield_ns, c.bare_call_ns, c.bare_inline_ns);
    std::printf("ratio: %.2fx (the reference: about 1.2x; passes up to %.0fx)\n", c.ratio(),
                kMaxRatio);
    ptv::lab::expect(c.ratio() <= kMaxRatio,
                     "a yield costs more than 10 bare switches: what does the scheduler do on "
                     "every switch?");
}
