#include "ptv/lab/grader/grade_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/grade.hpp"
#include "ptv/lab/grader/grader_hash.hpp"
#include "ptv/lab/grader/kit.hpp"
#include "ptv/lab/grader/report.hpp"

namespace ptv::lab {

void add_grade_options(CLI::App& cmd, GradeOptions& o) {
    cmd.add_option("lab", o.lab, "the lab's id (see 'ptv lab list')")->required();
    cmd.add_option("--submission", o.submission, "the directory with the student's files")
        ->capture_default_str();
    cmd.add_option("--format", o.format, "text, json, gradescope or prairielearn")
        ->capture_default_str();
    cmd.add_option("--out", o.out, "write the report to FILE (the score still goes to stdout)");
    cmd.add_flag("--reveal", o.reveal,
                 "show hidden tests' inputs and reproduce commands (after the deadline)");
    cmd.add_option("--only", o.only, "grade only the tests of this case");
    cmd.add_option("-j,--jobs", o.jobs, "tests run at a time")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd.add_option("--seed-base", o.seed_base,
                   "hidden tests' first seed (default: drawn at random); makes a run repeatable");
}

int run_grade(const GradeOptions& o) {
    auto format = parse_report_format(o.format);
    Kit kit = Kit::located();
    GradeRequest req;
    req.lab_dir = kit.require_lab(o.lab);
    req.spec = load_lab_spec(req.lab_dir);
    if (req.spec.id != o.lab)
        throw UsageError(fmt::format("{}/lab.json says its id is '{}'; fix one of the two",
                                     req.lab_dir, req.spec.id));
    req.recipe = load_recipe(kit.recipe_path(o.lab));
    req.submission_dir = o.submission;
    req.grader_hash = grader_hash(req.lab_dir, kit.labs_dir() + "/harness");
    req.reveal = o.reveal;
    req.only = o.only;
    req.jobs = o.jobs;
    req.seed_base = o.seed_base ? *o.seed_base : random_seed_base();
    req.kvm_available = kvm_device_available();
    GradeResult result = grade(req);
    std::string text = report(result, format);
    if (o.out.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    std::ofstream file(o.out, std::ios::trunc);
    if (!file || !(file << text) || !file.flush())
        throw UsageError(fmt::format("cannot write {}; check the directory exists", o.out));
    std::printf("Score: %s (report in %s, grader %s)\n",
                score_text(result.score(), result.max_score()).c_str(), o.out.c_str(),
                result.grader_hash.c_str());
    return 0;
}

}  // namespace ptv::lab
