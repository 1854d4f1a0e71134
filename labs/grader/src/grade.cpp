#include "ptv/lab/grader/grade.hpp"
#include "ptv/lab/grader/printable.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/builder.hpp"
#include "ptv/lab/grader/parallel.hpp"
#include "ptv/lab/grader/process.hpp"
#include "ptv/lab/grader/run_outcome.hpp"
#include "ptv/lab/grader/temp_dir.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

namespace {

// One run of a case: a test runs once per seed.
struct Run {
    size_t test;  // index into the selected tests
    uint64_t seed;
    bool kvm;  // --substrate kvm
    RunOutcome outcome;
    bool fell_back = false;  // asked for kvm, got "needs /dev/kvm", ran on the model
    double seconds = 0;
};

struct Selected {
    const PartSpec* part;
    const TestSpec* test;
    std::string number;
};

std::vector<Selected> select_tests(const LabSpec& spec, const std::string& only) {
    std::vector<Selected> out;
    std::set<std::string> cases;
    for (size_t p = 0; p < spec.parts.size(); ++p)
        for (size_t t = 0; t < spec.parts[p].tests.size(); ++t) {
            const auto& test = spec.parts[p].tests[t];
            cases.insert(test.case_name);
            if (!only.empty() && test.case_name != only && test.name != only) continue;
            out.push_back({&spec.parts[p], &test, fmt::format("{}.{}", p + 1, t + 1)});
        }
    if (out.empty())
        throw UsageError(fmt::format("no test of {} runs case '{}'; cases: {}", spec.id, only,
                                     fmt::join(cases, ", ")));
    return out;
}

std::string reproduce_command(const std::string& program, const TestSpec& test, uint64_t seed,
                              bool kvm) {
    std::string cmd = fmt::format("{} run {} --seed {}", program, test.case_name, seed);
    if (test.needs_kvm) cmd += kvm ? " --substrate kvm" : " --substrate model";
    return cmd;
}

// `tmp`: the run's own TMPDIR, removed afterwards with whatever the test
// left there, however it ended (a case killed at its time limit, or a
// student's thread still running at exit, never unwinds to clean up).
void execute(Run& run, const std::string& program, const TestSpec& test, double limit_s,
             const std::string& tmp) {
    auto once = [&](bool kvm) {
        std::error_code ec;
        fs::create_directories(tmp, ec);
        ProcessSpec spec;
        spec.argv = {program, "run", test.case_name, "--seed", std::to_string(run.seed)};
        if (test.needs_kvm) {
            spec.argv.push_back("--substrate");
            spec.argv.push_back(kvm ? "kvm" : "model");
        }
        spec.time_limit_s = limit_s;
        // The sanitizers report and carry on where they can, so a report
        // never hides the case's own result; the grader reads stderr.
        spec.env = {{"ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0"},
                    {"UBSAN_OPTIONS", "print_stacktrace=1"},
                    {"TSAN_OPTIONS", "halt_on_error=0"},
                    {"TMPDIR", tmp}};
        auto r = run_process(spec);
        fs::remove_all(tmp, ec);
        run.seconds += r.seconds;
        return classify_run(r, limit_s);
    };
    run.outcome = once(run.kvm);
    if (run.kvm && run.outcome.needs_kvm) {
        run.fell_back = true;
        run.kvm = false;
        run.outcome = once(false);
    }
}

}  // namespace

bool kvm_device_available() {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

uint64_t random_seed_base() {
    std::random_device rd;
    // Kept below 2^31 so a seed is easy to read and retype.
    return rd() & 0x7fffffffu;
}

std::string installed_program_name(const std::string& variant) {
    return variant == "normal" ? "lab-tests" : "lab-tests-" + variant;
}

GradeResult grade(const GradeRequest& req) {
    auto started = std::chrono::steady_clock::now();
    const LabSpec& spec = req.spec;
    std::error_code ec;
    if (!fs::is_directory(req.submission_dir, ec))
        throw UsageError(fmt::format("no submission directory '{}'", req.submission_dir));
    std::string submission = fs::absolute(req.submission_dir).lexically_normal().string();
    if (submission.size() > 1 && submission.back() == '/') submission.pop_back();
    std::vector<std::string> sources;  // names in the submission
    for (const auto& f : spec.student_files) {
        std::string path = submission + "/" + f;
        if (!fs::is_regular_file(path, ec))
            throw UsageError(fmt::format("{} has no {}; the lab's student files are: {}",
                                         submission, f, fmt::join(spec.student_files, ", ")));
        if (f.ends_with(".cpp") || f.ends_with(".cc")) sources.push_back(f);
    }
    auto selected = select_tests(spec, req.only);

    std::vector<std::string> variants;
    for (const auto& s : selected)
        if (std::find(variants.begin(), variants.end(), s.test->variant) == variants.end())
            variants.push_back(s.test->variant);

    TempDir work("ptv-grade");
    auto built = build_variants(req.recipe, variants, submission, sources, work.path(), req.jobs);

    // Where each variant's program will be found after grading, for the
    // reproduce commands: in the submission when it can be put there.
    std::map<std::string, std::string> shown_program;
    for (const auto& [v, b] : built) {
        shown_program[v] = installed_program_name(v);
        if (!b.ok || !req.install_programs) continue;
        std::string dest = submission + "/" + installed_program_name(v);
        fs::copy_file(b.program, dest, fs::copy_options::overwrite_existing, ec);
        if (!ec) shown_program[v] = dest;
    }

    std::vector<Run> runs;
    for (size_t i = 0; i < selected.size(); ++i) {
        const TestSpec& t = *selected[i].test;
        if (!built.at(t.variant).ok) continue;
        bool kvm = t.needs_kvm && req.kvm_available;
        auto add = [&](uint64_t seed) {
            Run run;
            run.test = i;
            run.seed = seed;
            run.kvm = kvm;
            runs.push_back(run);
        };
        if (t.hidden)
            for (int k = 0; k < t.seeds; ++k) add(req.seed_base + uint64_t(k));
        else
            add(t.seed);
    }
    run_parallel(runs.size(), req.jobs, [&](size_t r) {
        const auto& sel = selected[runs[r].test];
        execute(runs[r], built.at(sel.test->variant).program, *sel.test, sel.part->time_limit_s,
                fmt::format("{}/tmp-{}", work.path(), r));
    });

    GradeResult result;
    result.lab = spec.id;
    result.title = spec.title;
    result.grader_hash = req.grader_hash;
    result.revealed = req.reveal;
    for (size_t i = 0; i < selected.size(); ++i) {
        const TestSpec& t = *selected[i].test;
        TestResult tr;
        tr.name = t.name;
        tr.part = selected[i].part->name;
        tr.number = selected[i].number;
        tr.max_points = t.points;
        tr.hidden = t.hidden;
        const auto& b = built.at(t.variant);
        if (!b.ok) {
            tr.status = Status::CompileError;
            tr.message = printable(b.first_error);
            tr.output = printable(b.log);
            result.tests.push_back(std::move(tr));
            continue;
        }
        const Run* failing = nullptr;
        bool fell_back = false;
        for (const auto& run : runs) {
            if (run.test != i) continue;
            tr.seconds += run.seconds;
            fell_back = fell_back || run.fell_back || (t.needs_kvm && !run.kvm);
            if (!failing && run.outcome.status != Status::Passed) failing = &run;
        }
        const Run& shown = failing ? *failing
                                   : *std::find_if(runs.begin(), runs.end(),
                                                   [&](const Run& r) { return r.test == i; });
        tr.status = shown.outcome.status;
        tr.points = failing ? 0 : t.points;
        if (failing) tr.hint = t.hint;
        if (!t.hidden || req.reveal) {
            tr.message = shown.outcome.message;
            tr.output = shown.outcome.output;
            tr.input = shown.outcome.input;
            tr.reproduce = reproduce_command(shown_program[t.variant], t, shown.seed, shown.kvm);
        } else if (failing) {
            // A hidden test's message and output may spell out its input:
            // only how it ended is shown, and the hint.
            bool input_free = tr.status == Status::Timeout || tr.status == Status::Crashed ||
                              tr.status == Status::Sanitizer || tr.status == Status::NotImplemented;
            tr.message = input_free ? shown.outcome.message
                                    : "failed on a generated input (shown after the deadline)";
        }
        result.tests.push_back(std::move(tr));
        if (fell_back) {
            TestResult info;
            info.name = t.name + " (on /dev/kvm)";
            info.part = selected[i].part->name;
            info.number = selected[i].number + ".kvm";
            info.status = Status::Informational;
            info.message = "needs /dev/kvm: run locally";
            info.hidden = t.hidden;
            result.tests.push_back(std::move(info));
        }
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace ptv::lab
