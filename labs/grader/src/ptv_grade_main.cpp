// ptv-grade: `ptv grade` as a program of its own, linking only the grader,
// for the Gradescope and PrairieLearn images (labs/README.md).
#include <cstdio>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/lab/grader/grade_command.hpp"

int main(int argc, char** argv) {
    CLI::App app{"ptv-grade: build a lab submission against the kit, run its tests, score it"};
    ptv::lab::GradeOptions options;
    ptv::lab::add_grade_options(app, options);
    ptv::cli::parse_or_exit(app, argc, argv, "ptv-grade");
    try {
        return ptv::lab::run_grade(options);
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "ptv-grade: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptv-grade: internal error: %s\n", e.what());
        return 70;
    }
}
