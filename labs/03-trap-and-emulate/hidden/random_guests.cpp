// Hidden: guests generated from the grading seed, using every privileged
// instruction of parts 1-3 in a random order (README.md).
#include <fmt/format.h>

#include <random>

#include "harness/check.hpp"
#include "harness/guest_builder.hpp"
#include "ptv/lab/harness.hpp"

using namespace ptv::lab;
using namespace ptv::lab::trap;

PTV_LAB_CASE("random-guests") {
    std::mt19937_64 rng(ctx.seed() * 0x9e3779b97f4a7c15ull);
    GuestRecipe r;
    r.ops = 8 + int(rng() % 16);
    GeneratedGuest g = generate_guest(rng(), r);
    ctx.input(fmt::format("a generated guest (seed {}):\n{}", ctx.seed(), g.description));
    GuestSpec spec;
    spec.name = "random";
    spec.image = std::move(g.image);
    spec.memory_mib = 4;
    check_guest(ctx, spec);
}
