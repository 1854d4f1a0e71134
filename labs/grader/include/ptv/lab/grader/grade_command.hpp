// `ptv grade ID ...` and `ptv-grade ID ...`: the same options and the same
// run, registered on either program's CLI11 app (ptv-grade is what the
// Gradescope zip builds, without the rest of the kit).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace ptv::lab {

struct GradeOptions {
    std::string lab;
    std::string submission = ".";
    std::string format = "text";
    std::string out;
    bool reveal = false;
    std::string only;
    int jobs = 2;
    std::optional<uint64_t> seed_base;
};

void add_grade_options(CLI::App& command, GradeOptions& options);

// Grades and prints (or writes --out). 0 when graded, whatever the score;
// throws ptv::UsageError for a mistake in the command.
int run_grade(const GradeOptions& options);

}  // namespace ptv::lab
