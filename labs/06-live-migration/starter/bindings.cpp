// Part 4, the written part: Fig. 3-19 and the binding exercises
// (README.md, part 4). Plain data: the harness compares it with the
// lecture's table and the exercises' answers.
#include "ptv/lab/migration/bindings.hpp"
#include "ptv/lab/harness.hpp"

namespace ptv::lab::migration {

std::vector<Action> fig_3_19(Binding row, Attachment column) {
    // TODO(L6): the actions of the cell (row, column), the usual one first,
    // then the alternatives in the book's order.
    (void)row;
    (void)column;
    throw NotImplemented("fig_3_19 (TODO(L6) in bindings.cpp)");
}

std::vector<ExerciseAnswer> exercise_answers() {
    // TODO(L6): one {number, binding, attachment, action} per exercise of
    // `ptv migrate bindings -s 306 -n 20 --kind binding`.
    throw NotImplemented("exercise_answers (TODO(L6) in bindings.cpp)");
}

}  // namespace ptv::lab::migration
