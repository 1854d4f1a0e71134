// The honesty tests of a lab (labs/README.md, "Tests that keep the labs
// honest"), one check per run:
//   lab_honesty starter|solution|mutants|handout|gradescope ID LAB_DIR RECIPE MUTANTS
// (MUTANTS: a directory of mutants, or one mutant's directory)
// Prints what it checked and every violation; exits 0 when there is none.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "graded.hpp"
#include "ptv/lab/grader/file_tree.hpp"
#include "ptv/lab/grader/lab_tools.hpp"
#include "ptv/lab/grader/process.hpp"
#include "ptv/lab/grader/report.hpp"

using namespace ptv::lab;
using namespace ptv::lab::test;
namespace fs = std::filesystem;

namespace {

int failures = 0;

void violation(const std::string& what) {
    std::printf("FAIL: %s\n", what.c_str());
    ++failures;
}

void print_report(const GradeResult& r) {
    std::string text = report(r, ReportFormat::Text);
    std::fwrite(text.data(), 1, text.size(), stdout);
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Hidden seeds are drawn as at grading time; the base is printed so that a
// failure can be rerun with --seed-base.
uint64_t seed_base() {
    uint64_t base = random_seed_base();
    std::printf("hidden tests' seed base: %llu\n", static_cast<unsigned long long>(base));
    return base;
}

GradeResult grade_files(const LabUnderTest& lab, const std::vector<std::string>& layers) {
    Submission sub(layers);
    return grade(request_for(lab, sub.path(), seed_base()));
}

void check_starter(const LabUnderTest& lab) {
    auto r = grade_files(lab, {lab.dir + "/starter"});
    print_report(r);
    if (r.score() != 0) violation(fmt::format("the starter scores {}, not 0", r.score()));
    for (const auto& t : r.tests)
        if (t.status != Status::NotImplemented && t.status != Status::Informational)
            violation(fmt::format("starter: '{}' is {}, not not-implemented", t.name,
                                  status_name(t.status)));
}

void check_solution(const LabUnderTest& lab) {
    auto r = grade_files(lab, {lab.dir + "/solution"});
    print_report(r);
    if (r.score() != r.max_score())
        violation(fmt::format("the solution scores {}", score_text(r.score(), r.max_score())));
}

// Each mutant loses exactly the tests of the cases its mutant.json names.
void check_mutants(const LabUnderTest& lab, const std::string& mutants_dir) {
    std::error_code ec;
    if (!fs::is_directory(mutants_dir, ec)) {
        violation("no mutants in " + mutants_dir);
        return;
    }
    std::set<std::string> cases;
    for (const auto& p : load_lab_spec(lab.dir).parts)
        for (const auto& t : p.tests) cases.insert(t.case_name);
    // One mutant (its own directory), or every mutant of a directory.
    std::vector<fs::path> mutants;
    if (fs::exists(fs::path(mutants_dir) / "mutant.json"))
        mutants.push_back(mutants_dir);
    else
        for (const auto& e : fs::directory_iterator(mutants_dir))
            if (e.is_directory()) mutants.push_back(e.path());
    std::sort(mutants.begin(), mutants.end());
    if (mutants.empty()) violation("no mutants in " + mutants_dir);
    for (const auto& m : mutants) {
        auto spec = nlohmann::json::parse(read_file(m / "mutant.json"));
        std::set<std::string> loses;
        for (const auto& c : spec.at("loses")) loses.insert(c.get<std::string>());
        std::printf("mutant %s: %s\n", m.filename().c_str(),
                    spec.at("bug").get<std::string>().c_str());
        for (const auto& c : loses)
            if (!cases.count(c))
                violation(fmt::format("{}: mutant.json names no case of the lab: '{}'",
                                      m.filename().string(), c));
        auto r = grade_files(lab, {lab.dir + "/solution", m.string()});
        // By number ("2.3"): two parts may have tests of the same name.
        std::map<std::string, std::string> case_of;
        auto spec_parts = load_lab_spec(lab.dir).parts;
        for (size_t p = 0; p < spec_parts.size(); ++p)
            for (size_t t = 0; t < spec_parts[p].tests.size(); ++t)
                case_of[fmt::format("{}.{}", p + 1, t + 1)] = spec_parts[p].tests[t].case_name;
        for (const auto& t : r.tests) {
            if (t.status == Status::Informational) continue;
            bool lost = t.points < t.max_points;
            bool should = loses.count(case_of[t.number]) > 0;
            if (lost != should)
                violation(fmt::format("mutant {}: '{}' {} ({}: {})", m.filename().string(), t.name,
                                      should ? "kept its points" : "lost points",
                                      status_name(t.status), t.message));
        }
        std::printf("  %s\n", score_text(r.score(), r.max_score()).c_str());
    }
}

// No file of solution/ is in the handout, by path or by content.
void check_handout(const LabUnderTest& lab) {
    TempDir out("ptv-handout");
    Kit kit = Kit::located();
    std::vector<std::string> ids;
    // The fixture lab is not in labs/: export the kit's labs and add it.
    if (fs::exists(kit.lab_dir(lab.id)))
        ids = kit.lab_ids();
    else
        copy_tree(lab.dir, out.path() + "/" + lab.id, {"solution"});
    export_handout(kit, ids, out.path());
    std::set<std::string> solution_contents;
    for (const auto& e : fs::recursive_directory_iterator(lab.dir + "/solution"))
        if (e.is_regular_file()) solution_contents.insert(read_file(e.path()));
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(out.path())) {
        if (!e.is_regular_file()) continue;
        ++files;
        std::string rel = fs::relative(e.path(), out.path()).string();
        if (rel.find("/solution/") != std::string::npos)
            violation("the handout has a solution file: " + rel);
        if (solution_contents.count(read_file(e.path())))
            violation("the handout has a copy of a solution file: " + rel);
    }
    if (!fs::exists(out.path() + "/" + lab.id + "/lab.json"))
        violation("the handout has no " + lab.id + "/lab.json");
    std::printf("handout: %zu files, none of solution/\n", files);
}

// The zip, unpacked as Gradescope does into ROOT/source, set up (the
// packages left alone) and run on the solution in ROOT/submission.
void check_gradescope(const LabUnderTest& lab) {
    TempDir root("ptv-autograder");
    Kit kit = Kit::located();
    std::string zip = root.path() + "/autograder.zip";
    package_gradescope(kit, lab.dir, lab.id, zip);
    auto run = [&](std::vector<std::string> argv, double limit, const std::string& cwd = "") {
        ProcessSpec spec;
        spec.argv = std::move(argv);
        spec.cwd = cwd;
        spec.time_limit_s = limit;
        spec.env = {{"AUTOGRADER_ROOT", root.path()}, {"PTV_SKIP_APT", "1"}};
        // A compiler cache where the machine has one (a developer's), shared
        // across source paths; a fresh machine builds the kit in full.
        if (fs::exists("/usr/bin/ccache")) {
            spec.env["CCACHE_BASEDIR"] = root.path();
            spec.env["CCACHE_NOHASHDIR"] = "1";
            spec.env["PTV_CMAKE_ARGS"] =
                "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache";
        }
        auto r = run_process(spec);
        if (r.exit_code != 0 || r.timed_out)
            violation(fmt::format("{} failed (status {}{}):\n{}\n{}", spec.argv[0], r.exit_code,
                                  r.timed_out ? ", timed out" : "", r.out.substr(0, 4000),
                                  r.err.substr(0, 4000)));
        return r;
    };
    run({"/usr/bin/unzip", "-q", zip, "-d", root.path() + "/source"}, 60);
    for (const auto& e : fs::recursive_directory_iterator(root.path() + "/source"))
        if (e.path().string().find("/solution/") != std::string::npos ||
            e.path().string().find("/tests/") != std::string::npos)
            violation("the zip ships " + e.path().string());
    if (failures) return;
    auto setup = run({"/bin/bash", root.path() + "/source/setup.sh"}, 1200);
    std::printf("setup.sh: %.1f s\n", setup.seconds);
    if (failures) return;
    // Gradescope copies run_autograder to the root and runs it there.
    copy_file_to(root.path() + "/source/run_autograder", root.path() + "/run_autograder");
    fs::create_directories(root.path() + "/results");
    // Nothing submitted: graded 0 with the reason, not an autograder failure.
    fs::create_directories(root.path() + "/submission");
    ProcessSpec nothing;
    nothing.argv = {"/bin/bash", root.path() + "/run_autograder"};
    nothing.env = {{"AUTOGRADER_ROOT", root.path()}};
    auto empty = run_process(nothing);
    auto zero = nlohmann::json::parse(read_file(root.path() + "/results/results.json"));
    if (empty.exit_code != 2 || zero.value("score", -1.0) != 0 ||
        !zero.value("output", "").starts_with("Not graded: ptv-grade: "))
        violation("an empty submission gives: " + zero.dump());
    // The solution, uploaded as a folder.
    copy_tree(lab.dir + "/solution", root.path() + "/submission/my-lab");
    auto graded = run({"/bin/bash", root.path() + "/run_autograder"}, 300, root.path());
    std::printf("run_autograder: %.1f s\n%s", graded.seconds, graded.out.c_str());
    auto results = nlohmann::json::parse(read_file(root.path() + "/results/results.json"));
    double max = load_lab_spec(lab.dir).max_points();
    // The same tests there as here: the hash a student compares.
    std::string hash = request_for(lab, root.path()).grader_hash;
    if (results.value("output", "").find(hash) == std::string::npos)
        violation("results.json's output does not carry the local grader hash " + hash);
    if (results.at("score").get<double>() != max)
        violation(fmt::format("results.json: score {} of {}", results.at("score").dump(), max));
    for (const char* key : {"execution_time", "output", "tests"})
        if (!results.contains(key)) violation(fmt::format("results.json has no \"{}\"", key));
    double total = 0, total_max = 0;
    for (const auto& t : results.at("tests")) {
        for (const char* key :
             {"name", "number", "score", "max_score", "status", "output", "visibility", "tags"})
            if (!t.contains(key)) violation(fmt::format("a test has no \"{}\": {}", key, t.dump()));
        std::string status = t.value("status", ""), vis = t.value("visibility", "");
        if (status != "passed" && status != "failed") violation("status " + status);
        if (vis != "visible" && vis != "after_due_date") violation("visibility " + vis);
        total += t.value("score", 0.0);
        total_max += t.value("max_score", 0.0);
    }
    if (total != max || total_max != max)
        violation(fmt::format("the tests add up to {} of {}, not {}", total, total_max, max));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr,
                     "usage: lab_honesty starter|solution|mutants|handout|gradescope ID LAB_DIR "
                     "RECIPE MUTANTS_DIR\n");
        return 2;
    }
    std::string check = argv[1];
    LabUnderTest lab{argv[2], argv[3], argv[4]};
    try {
        if (check == "starter")
            check_starter(lab);
        else if (check == "solution")
            check_solution(lab);
        else if (check == "mutants")
            check_mutants(lab, argv[5]);
        else if (check == "handout")
            check_handout(lab);
        else if (check == "gradescope")
            check_gradescope(lab);
        else {
            std::fprintf(stderr, "lab_honesty: unknown check '%s'\n", check.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        violation(std::string("error: ") + e.what());
    }
    std::printf("%s: %s %s\n", failures ? "FAILED" : "ok", lab.id.c_str(), check.c_str());
    return failures ? 1 : 0;
}
