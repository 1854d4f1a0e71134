// The grader on its fixture lab (fixtures/00-example): submissions made to
// end in each status, with the exact points each test gets.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graded.hpp"
#include "ptv/common/error.hpp"
#include "ptv/lab/grader/temp_dir.hpp"

using namespace ptv::lab;
using namespace ptv::lab::test;
namespace fs = std::filesystem;

namespace {
std::string fixture(const std::string& sub) {
    return fixture_lab().dir + "/" + sub;
}
}  // namespace

TEST_CASE("fixture: each status once, with its points") {
    Submission sub({fixture("submissions/mixed")});
    auto result = grade(request_for(fixture_lab(), sub.path()));

    const auto& add_small = test_named(result, "add small numbers");
    CHECK(add_small.status == Status::Passed);
    CHECK(add_small.points == 2);
    CHECK(add_small.number == "1.1");
    CHECK(add_small.hint.empty());

    const auto& add_negative = test_named(result, "add negative numbers");
    CHECK(add_negative.status == Status::Failed);
    CHECK(add_negative.points == 0);
    CHECK(add_negative.max_points == 2);
    CHECK(add_negative.message == "add(-4, -3): got -1, expected -7");
    CHECK(add_negative.hint == "negative numbers add like the others");
    CHECK(add_negative.input == "add(-4, -3)");
    CHECK(add_negative.reproduce == sub.path() + "/lab-tests run add-negative --seed 1");

    const auto& kvm = test_named(result, "add on the machine");
    CHECK(kvm.status == Status::Passed);
    CHECK(kvm.points == 1);
    if (!kvm_device_available()) {
        // The points come from the CPU model's run; the KVM run is a note.
        CHECK(kvm.reproduce == sub.path() + "/lab-tests run add-on-kvm --seed 1 --substrate model");
        const auto& note = test_named(result, "add on the machine (on /dev/kvm)");
        CHECK(note.status == Status::Informational);
        CHECK(note.message == "needs /dev/kvm: run locally");
        CHECK(note.max_points == 0);
    }

    const auto& empty = test_named(result, "sort nothing");
    CHECK(empty.status == Status::Crashed);
    CHECK(empty.message.starts_with("killed by signal 11 ("));
    CHECK(empty.points == 0);

    const auto& seven = test_named(result, "sort seven numbers");
    CHECK(seven.status == Status::Timeout);
    CHECK(seven.message == "killed after the time limit of 2 s");
    CHECK(seven.points == 0);

    const auto& three = test_named(result, "sort three numbers in bounds");
    CHECK(three.status == Status::Sanitizer);
    CHECK(three.message.starts_with("ERROR: AddressSanitizer: heap-buffer-overflow"));
    CHECK(three.output.find("example.cpp") != std::string::npos);
    CHECK(three.reproduce == sub.path() + "/lab-tests-asan run sort-three --seed 1");
    CHECK(three.points == 0);

    // Hidden: how it ended and the hint, never the generated input.
    const auto& random = test_named(result, "sort random vectors");
    CHECK(random.status == Status::Failed);
    CHECK(random.hidden);
    CHECK(random.message == "failed on a generated input (shown after the deadline)");
    CHECK(random.hint == "any length, any values, duplicates too");
    CHECK(random.input.empty());
    CHECK(random.reproduce.empty());
    CHECK(random.output.empty());

    CHECK(result.score() == 3);
    CHECK(result.max_score() == 11);
    CHECK(fs::exists(sub.path() + "/lab-tests"));
    CHECK(fs::exists(sub.path() + "/lab-tests-asan"));
    CHECK(result.grader_hash.size() == 18);
}

TEST_CASE("fixture: what a test leaves in its TMPDIR is removed, however the test ended") {
    // The crashing and the endless case leave a file in $TMPDIR and never
    // get to remove it; the grader gives each run a TMPDIR of its own.
    const std::string mark = std::to_string(::getpid()) + "-" + std::to_string(std::rand());
    REQUIRE(::setenv("PTV_FIXTURE_MARK", mark.c_str(), 1) == 0);
    Submission sub({fixture("submissions/mixed")});
    auto req = request_for(fixture_lab(), sub.path());
    auto result = grade(req);
    CHECK(test_named(result, "sort nothing").status == Status::Crashed);
    CHECK(test_named(result, "sort seven numbers").status == Status::Timeout);
    const fs::path left = fs::temp_directory_path() / ("ptv-fixture-left-" + mark);
    CHECK_FALSE(fs::exists(left));

    // Run by hand, the same program does leave it.
    TempDir mine("ptv-fixture-tmp");
    const std::string cmd =
        "TMPDIR=" + mine.path() + " " + sub.path() + "/lab-tests run sort-empty >/dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) != 0);
    CHECK(fs::exists(mine.path() + "/ptv-fixture-left-" + mark));
    ::unsetenv("PTV_FIXTURE_MARK");
}

TEST_CASE("fixture: a mutant's patch is applied to the solution, or is an error naming it") {
    TempDir mutant("ptv-fixture-mutant");
    auto write = [&](const std::string& text) {
        std::ofstream(mutant.path() + "/mutant.patch") << text;
    };
    write(
        "--- a/example.cpp\n+++ b/example.cpp\n@@ -10 +10 @@\n-    return a + b;\n"
        "+    return a - b;\n");
    Submission sub({fixture("solution"), mutant.path()});
    std::ifstream in(sub.path() + "/example.cpp");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().find("return a - b;") != std::string::npos);
    CHECK(text.str().find("return a + b;") == std::string::npos);
    CHECK_FALSE(fs::exists(sub.path() + "/mutant.patch"));

    write(
        "--- a/example.cpp\n+++ b/example.cpp\n@@ -10 +10 @@\n-    return a * b;\n"
        "+    return a - b;\n");
    CHECK_THROWS_WITH_AS(Submission({fixture("solution"), mutant.path()}),
                         doctest::Contains("mutant.patch does not apply to the solution"),
                         std::runtime_error);
}

TEST_CASE("fixture: --reveal shows a hidden test's seed, input and reproduce command") {
    Submission sub({fixture("submissions/mixed")});
    auto req = request_for(fixture_lab(), sub.path(), 4242);
    req.reveal = true;
    req.only = "sort-random";
    auto result = grade(req);
    REQUIRE(result.tests.size() == 1);
    const auto& random = result.tests[0];
    CHECK(random.status == Status::Failed);
    CHECK(random.message == "the vector is not sorted");
    CHECK(random.input.starts_with("sort ["));
    CHECK(random.reproduce == sub.path() + "/lab-tests run sort-random --seed 4242");
    // Only the variant that test needs was built.
    CHECK_FALSE(fs::exists(sub.path() + "/lab-tests-asan"));
}

TEST_CASE("fixture: a compile error costs only the tests of the variant that fails") {
    Submission sub({fixture("submissions/no-asan")});
    auto result = grade(request_for(fixture_lab(), sub.path()));
    const auto& three = test_named(result, "sort three numbers in bounds");
    CHECK(three.status == Status::CompileError);
    CHECK(three.message.find("error:") != std::string::npos);
    CHECK(three.message.find("this_does_not_compile_under_asan") != std::string::npos);
    CHECK(three.points == 0);
    for (const auto& t : result.tests)
        if (t.name != three.name) CHECK_MESSAGE(t.status != Status::CompileError, t.name);
    CHECK(result.score() == 10);
    CHECK(result.max_score() == 11);
}

TEST_CASE("fixture: the same seed base gives the same hidden inputs") {
    Submission sub({fixture("solution")});
    auto req = request_for(fixture_lab(), sub.path(), 77);
    req.reveal = true;
    req.only = "sort-random";
    auto first = grade(req);
    auto second = grade(req);
    CHECK(first.tests[0].status == Status::Passed);
    CHECK(first.tests[0].points == 3);
    CHECK(first.tests[0].input == second.tests[0].input);
    req.seed_base = 78;
    CHECK(grade(req).tests[0].input != first.tests[0].input);
}

TEST_CASE("fixture: mistakes in the command are usage errors, before any build") {
    Submission sub({fixture("solution")});
    auto req = request_for(fixture_lab(), sub.path());
    req.only = "no-such-case";
    CHECK_THROWS_WITH_AS(grade(req),
                         "no test of 00-example runs case 'no-such-case'; cases: add-negative, "
                         "add-on-kvm, add-small, sort-empty, sort-random, sort-seven, sort-three",
                         ptv::UsageError);

    Submission empty({});
    CHECK_THROWS_WITH_AS(
        grade(request_for(fixture_lab(), empty.path())),
        (empty.path() + " has no example.cpp; the lab's student files are: example.cpp").c_str(),
        ptv::UsageError);
    CHECK_THROWS_WITH_AS(grade(request_for(fixture_lab(), "/nonexistent/dir")),
                         "no submission directory '/nonexistent/dir'", ptv::UsageError);
}

TEST_CASE("fixture: a compiler launcher plugs in before the compiler, per file") {
    // A launcher of our own that logs its command and runs it, like ccache.
    TempDir tools("ptv-launcher");
    std::string log = tools.path() + "/log";
    {
        std::ofstream script(tools.path() + "/logging-launcher");
        script << "#!/bin/sh\necho \"$@\" >> " << log << "\nexec \"$@\"\n";
    }
    fs::permissions(tools.path() + "/logging-launcher", fs::perms::owner_all);
    Submission sub({fixture("solution")});
    auto req = request_for(fixture_lab(), sub.path());
    req.only = "add-small";
    const char* before = std::getenv("PTV_GRADE_COMPILER_LAUNCHER");
    std::string saved = before ? before : "";
    ::setenv("PTV_GRADE_COMPILER_LAUNCHER", (tools.path() + "/logging-launcher").c_str(), 1);
    auto result = grade(req);
    ::setenv("PTV_GRADE_COMPILER_LAUNCHER", "no-such-launcher", 1);
    CHECK_THROWS_WITH_AS(grade(req), "PTV_GRADE_COMPILER_LAUNCHER: no program 'no-such-launcher'",
                         ptv::UsageError);
    if (before)
        ::setenv("PTV_GRADE_COMPILER_LAUNCHER", saved.c_str(), 1);
    else
        ::unsetenv("PTV_GRADE_COMPILER_LAUNCHER");
    CHECK(result.score() == 2);
    std::ifstream in(log);
    std::stringstream logged;
    logged << in.rdbuf();
    std::string text = logged.str();
    // One compile of the one student file, by its plain name; the link is not launched.
    CHECK(text.find(" -c example.cpp -o ") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}
