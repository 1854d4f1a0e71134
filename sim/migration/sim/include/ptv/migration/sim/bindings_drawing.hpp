// `ptv migrate bindings --dot/--svg/--png FILE`: Fig. 3-19 and the drawn
// exercises as Graphviz, built from the same catalogue and table functions
// as the text (bindings.hpp), so a drawing cannot disagree with an answer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/migration/sim/bindings.hpp"

namespace ptv::migration::sim {

// Fig. 3-19 (with --table): the 3x3 table as an HTML-like label, the
// process-to-resource bindings as rows, the resource-to-machine bindings
// as columns, each cell table_cell(); under it what each action means.
std::string table_dot();

// The exercises of a seed (without --table): the migrating program on its
// machine and on the target, and each resource a binding exercise names.
// With answers, the edge to a resource says how the program is bound to it,
// the resource how it is bound to its machine, and the edge from the moved
// program the action (table_cell(); "?" without answers). Mobility
// exercises are named in the caption, not drawn. Throws ptv::UsageError
// when no exercise is a binding one.
std::string exercises_dot(uint64_t seed, const std::vector<Exercise>& ex, bool answers);

}  // namespace ptv::migration::sim
