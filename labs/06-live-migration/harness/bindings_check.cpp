#include "bindings_check.hpp"

#include <fmt/format.h>

#include "ptv/migration/sim/bindings.hpp"

namespace ptv::lab::migration {

namespace sim = ptv::migration::sim;

namespace {

sim::Binding kit(Binding b) {
    switch (b) {
        case Binding::ByIdentifier:
            return sim::BindingByIdentifier{};
        case Binding::ByValue:
            return sim::BindingByValue{};
        case Binding::ByType:
            return sim::BindingByType{};
    }
    throw Failure(fmt::format("a Binding of value {}: not one of the three", int(b)));
}

sim::Attachment kit(Attachment a) {
    switch (a) {
        case Attachment::Unattached:
            return sim::Attachment::Unattached;
        case Attachment::Fastened:
            return sim::Attachment::Fastened;
        case Attachment::Fixed:
            return sim::Attachment::Fixed;
    }
    throw Failure(fmt::format("an Attachment of value {}: not one of the three", int(a)));
}

const char* name(Action a) {
    switch (a) {
        case Action::MV:
            return "MV";
        case Action::GR:
            return "GR";
        case Action::CP:
            return "CP";
        case Action::RB:
            return "RB";
    }
    return "?";
}

std::string list(const std::vector<Action>& actions) {
    std::string s;
    for (Action a : actions) s += (s.empty() ? "" : " ") + std::string(name(a));
    return s.empty() ? "(none)" : s;
}

std::string list(const std::vector<sim::Action>& actions) {
    std::string s;
    for (sim::Action a : actions) s += (s.empty() ? "" : " ") + std::string(sim::code(a));
    return s;
}

}  // namespace

void check_column(Context& ctx, Attachment column) {
    const char* col = sim::to_string(kit(column));
    ctx.input(
        fmt::format("fig_3_19(row, Attachment::{}) for the three rows; compare with "
                    "`ptv migrate bindings --table` once you have answered",
                    col));
    std::string wrong;
    for (Binding row : {Binding::ByIdentifier, Binding::ByValue, Binding::ByType}) {
        const std::string got = list(fig_3_19(row, column));
        const std::string expected = list(sim::actions(kit(row), kit(column)));
        std::printf("  %-14s x %-10s  %-10s %s\n", sim::to_string(kit(row)), col, got.c_str(),
                    got == expected ? "right" : "wrong");
        if (got != expected && wrong.empty())
            wrong = fmt::format("Fig. 3-19, {} x {}: your actions are {}", sim::to_string(kit(row)),
                                col, got);
    }
    expect(wrong.empty(), wrong);
}

void check_exercises(Context& ctx) {
    ctx.input(fmt::format("ptv migrate bindings -s {} -n {} --kind binding", kExerciseSeed,
                          kExerciseCount));
    const auto exercises = sim::make_exercises(kExerciseSeed, kExerciseCount, "binding");
    const std::vector<ExerciseAnswer> answers = exercise_answers();
    std::vector<int> seen(exercises.size() + 1, 0);
    int right = 0;
    std::string first_wrong;
    for (const ExerciseAnswer& a : answers) {
        expect(a.number >= 1 && a.number <= kExerciseCount,
               fmt::format("an answer numbered {}: the exercises are numbered 1 to {}", a.number,
                           kExerciseCount));
        expect(++seen[a.number] == 1, fmt::format("exercise {} is answered twice", a.number));
        const sim::Resource& r = sim::resource_catalogue()[exercises[a.number - 1].index];
        const auto cell = sim::actions(r.binding, r.attachment);
        std::string why;
        if (sim::to_string(kit(a.binding)) != std::string(sim::to_string(r.binding)))
            why = "the binding";
        else if (kit(a.attachment) != r.attachment)
            why = "the attachment";
        else if (std::string(name(a.action)) != sim::code(cell[0]))
            why = "the action";
        std::printf("  %2d. %-14s %-10s %s  %s\n", a.number, sim::to_string(kit(a.binding)),
                    sim::to_string(kit(a.attachment)), name(a.action),
                    why.empty() ? "right" : ("wrong: " + why).c_str());
        if (why.empty())
            ++right;
        else if (first_wrong.empty())
            first_wrong = fmt::format("exercise {} ({}): {} is wrong", a.number, r.name, why);
    }
    ctx.measure("right", right);
    for (int n = 1; n <= kExerciseCount; ++n)
        expect(seen[n] == 1, fmt::format("exercise {} has no answer", n));
    expect(first_wrong.empty(),
           fmt::format("{} of {} right; {}", right, kExerciseCount, first_wrong));
}

}  // namespace ptv::lab::migration
