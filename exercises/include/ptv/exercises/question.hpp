// One question of an exercise bank and the bank itself: what every export
// format writes and `ptv exercises check` marks against. A question knows
// the seed and the `ptv` command that regenerate it, and where in that
// command's `--json` output its answer is (`source`), so the bank's answer
// is the simulator's answer and a test can check it by running the command.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::exercises {

struct Choice {
    std::string key;      // what a student answers ("MV", "U2", "privileged")
    std::string text;     // what the choice says
    double fraction = 0;  // credit in percent (100, 50, 0: values Moodle accepts)
};

struct Question {
    enum class Type { Numerical, MultiChoice };
    std::string id;      // "<module>-<seed>", unique in a bank
    std::string module;  // "threads", "servers", "vmm", "migration", "bindings"
    uint64_t seed = 0;
    std::string command;  // regenerates the problem with its answers
    std::string title;
    std::string text;  // plain text, lines separated by '\n'
    Type type = Type::Numerical;
    // Numerical: the answer, and the tolerance with the reason for it.
    double answer = 0;
    double tolerance = 0;
    std::string tolerance_why;
    std::string unit;
    // Multiple choice: the choices, one with fraction 100.
    std::vector<Choice> choices;
    // Where the answer is in `command --json`: JSON pointers whose values,
    // joined by ", ", are the right choice's key, or (one pointer) whose
    // value times `scale` is the numerical answer.
    std::vector<std::string> pointers;
    double scale = 1;
    std::vector<std::string> skipped;  // "seed 16 skipped: no blocking call"
    std::string explanation;           // shown after answering

    const Choice* right_choice() const;  // the choice with fraction 100
};

struct Bank {
    std::string module;
    uint64_t seed = 0;
    std::vector<Question> questions;
};

nlohmann::json to_json(const Question& q);
nlohmann::json to_json(const Bank& b);
// Throws ptv::UsageError naming what is missing or malformed.
Bank bank_from_json(const nlohmann::json& j);

// The value at a JSON pointer of a simulator's output, as a choice key:
// strings as they are, booleans "true"/"false", numbers as JSON writes them.
std::string key_of(const nlohmann::json& value);

}  // namespace ptv::exercises
