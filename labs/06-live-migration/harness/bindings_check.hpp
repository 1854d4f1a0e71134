// Part 3's checks: the student's Fig. 3-19 (bindings.cpp) against the
// kit's (sim/migration/sim/bindings.hpp, what `ptv migrate bindings
// --table` prints), and the exercise answers against the catalogue's.
#pragma once

#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/bindings.hpp"

namespace ptv::lab::migration {

// The three cells of one column of Fig. 3-19, every action in order.
void check_column(Context& ctx, Attachment column);
// The twenty exercises of kExerciseSeed: binding, attachment and action.
void check_exercises(Context& ctx);

}  // namespace ptv::lab::migration
