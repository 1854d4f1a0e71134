// bench-lab-grading: how long `ptv grade` takes, as a student or a TA runs
// it, for every lab of the kit with a reference solution: its starter, its
// reference and each of its mutants (tests/labs/ID/mutants: a patch of
// the reference), each graded from a fresh submission directory
// with the compiler run in full (no compiler cache: what a laptop without
// one sees). The limit is the one the labs promise (labs/README.md): a
// grading on 2 cores in under 60 s. It exits 0 whatever the times are (a
// measurement, not a test).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/lab/grader/kit.hpp"
#include "ptv/lab/grader/mutant.hpp"
#include "ptv/lab/grader/process.hpp"
#include "ptv/lab/grader/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

constexpr double kLimitS = 60;

struct Submission {
    std::string name;                 // "starter", "reference", "mutant NAME"
    std::vector<std::string> layers;  // directories copied in order, later ones on top
};

struct Graded {
    std::string lab, submission;
    double score = 0, max_score = 0, seconds = 0;
};

std::vector<Submission> submissions_of(const ptv::lab::Kit& kit, const std::string& id) {
    const std::string dir = kit.lab_dir(id);
    std::vector<Submission> out = {{"starter", {dir + "/starter"}},
                                   {"reference", {dir + "/solution"}}};
    const fs::path mutants = fs::path(kit.source_dir) / "tests/labs" / id / "mutants";
    std::vector<std::string> names;
    if (fs::is_directory(mutants))
        for (const auto& e : fs::directory_iterator(mutants))
            if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        out.push_back({"mutant " + n, {dir + "/solution", (mutants / n).string()}});
    return out;
}

Graded grade(const ptv::lab::Kit& kit, const std::string& ptv, const std::string& id,
             const Submission& s, unsigned jobs) {
    ptv::lab::TempDir work("ptv-bench-grade");
    ptv::lab::assemble_submission(s.layers, work.path());
    ptv::lab::ProcessSpec spec;
    spec.argv = {ptv,        "grade", id,       "--submission",      work.path(),
                 "--format", "json",  "--jobs", std::to_string(jobs)};
    spec.time_limit_s = 20 * kLimitS;
    spec.env = {{"PTV_GRADE_COMPILER_LAUNCHER", ""},
                {"PTV_KIT_SOURCE", kit.source_dir},
                {"PTV_KIT_BUILD", kit.build_dir}};
    const ptv::lab::ProcessResult r = ptv::lab::run_process(spec);
    if (r.timed_out || r.exit_code != 0)
        throw std::runtime_error(fmt::format("ptv grade {} ({}) failed with status {}: {}", id,
                                             s.name, r.exit_code, r.err.substr(0, 400)));
    const auto report = nlohmann::json::parse(r.out);
    return {id, s.name, report.at("score").get<double>(), report.at("max_score").get<double>(),
            r.seconds};
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> only;
    unsigned jobs = 2;
    bool json = false;
    CLI::App app{
        "bench-lab-grading: the time `ptv grade` takes on each lab's starter, reference and "
        "mutants, beside the 60 s a grading may take"};
    app.add_option("--lab", only, "only these labs (default: every lab with a reference)");
    app.add_option("-j,--jobs", jobs, "tests run at a time, as ptv grade -j")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-lab-grading");

    try {
        const ptv::lab::Kit kit = ptv::lab::Kit::located();
        const std::string ptv = kit.build_dir + "/bin/ptv";
        if (!fs::exists(ptv))
            throw ptv::UsageError(ptv + " is not built: build the kit first (make build)");
        std::vector<std::string> ids;
        for (const auto& id : only.empty() ? kit.lab_ids() : only) {
            kit.require_lab(id);
            if (fs::is_directory(kit.lab_dir(id) + "/solution") && fs::exists(kit.recipe_path(id)))
                ids.push_back(id);
            else if (!only.empty())
                throw ptv::UsageError("lab " + id + " has no reference solution or is not built");
        }
        std::vector<Graded> rows;
        for (const auto& id : ids)
            for (const auto& s : submissions_of(kit, id)) {
                rows.push_back(grade(kit, ptv, id, s, jobs));
                if (!json)
                    std::fprintf(stderr, "graded %s %s in %.1f s\n", id.c_str(), s.name.c_str(),
                                 rows.back().seconds);
            }
        if (json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& g : rows)
                out.push_back({{"lab", g.lab},
                               {"submission", g.submission},
                               {"score", g.score},
                               {"max_score", g.max_score},
                               {"seconds", g.seconds},
                               {"over_limit", g.seconds / kLimitS}});
            std::printf("%s\n", out.dump(2).c_str());
            return 0;
        }
        std::printf("Grading time, `ptv grade -j %u`, no compiler cache; limit %.0f s\n\n", jobs,
                    kLimitS);
        ptv::Table t({"lab", "submission", "score", "seconds", "time / limit", "met?"});
        t.right_align({2, 3, 4});
        std::string last;
        for (const auto& g : rows) {
            if (!last.empty() && g.lab != last) t.rule();
            last = g.lab;
            t.row({g.lab, g.submission, fmt::format("{:g} / {:g}", g.score, g.max_score),
                   fmt::format("{:.1f}", g.seconds), fmt::format("{:.2f}x", g.seconds / kLimitS),
                   g.seconds < kLimitS ? "yes" : "NO"});
        }
        std::printf("%s", t.render().c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-lab-grading: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-lab-grading: %s\n", e.what());
        return 1;
    }
}
