// `ptv exercises check BANK.json ANSWERS.json`: marks a student's answers
// (a JSON object keyed by question id: a number for a numerical question, a
// choice's key for a multiple-choice one) question by question.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/exercises/question.hpp"

namespace ptv::exercises {

struct Mark {
    std::string id;
    double points = 0;  // 0..1
    std::string feedback;
};

struct Marking {
    std::vector<Mark> marks;  // in the bank's order
    double total = 0, out_of = 0;
    std::string report() const;  // a line per question, then the total
};

// Throws ptv::UsageError if `answers` is not an object or names a question
// the bank does not have.
Marking mark(const Bank& bank, const nlohmann::json& answers);

}  // namespace ptv::exercises
