// Part 4, the written part: Fig. 3-19 of Tanenbaum & van Steen (after
// Fuggetta et al. 1998) and the binding exercises of `ptv migrate bindings`,
// answered in bindings.cpp, which the harness checks. Provided by the kit.
#pragma once

#include <cstdint>
#include <vector>

namespace ptv::lab::migration {

// How the process is bound to the resource: the rows of Fig. 3-19.
enum class Binding { ByIdentifier, ByValue, ByType };
// How the resource is bound to its machine: the columns.
enum class Attachment { Unattached, Fastened, Fixed };
// What becomes of the binding when the process moves.
enum class Action {
    MV,  // move the resource
    GR,  // establish a global systemwide reference
    CP,  // copy the value of the resource
    RB,  // rebind the process to a locally available resource
};

// One cell of Fig. 3-19: the actions, the usual one first, then the
// book's alternatives ("or ...") in the book's order.
std::vector<Action> fig_3_19(Binding row, Attachment column);

// The exercises of
//   ptv migrate bindings -s 306 -n 20 --kind binding
// (all twenty resources of the catalogue), answered one by one.
inline constexpr uint64_t kExerciseSeed = 306;
inline constexpr int kExerciseCount = 20;

struct ExerciseAnswer {
    int number;  // 1 .. 20, as the exercise is numbered
    Binding binding;
    Attachment attachment;
    Action action;  // the usual action of its cell
};
std::vector<ExerciseAnswer> exercise_answers();

}  // namespace ptv::lab::migration
