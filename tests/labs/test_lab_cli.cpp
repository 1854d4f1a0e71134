// `ptv lab` and `ptv grade` driven as a student and a TA would, on a kit
// whose labs/ holds the fixture lab (PTV_KIT_SOURCE; the recipe is the
// build tree's own).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "process.hpp"

namespace fs = std::filesystem;
using ptv::test::run;
using ptv::test::TempDir;

namespace {

// A kit source tree: the fixture as labs/00-example beside the real
// shared harness and grader.
struct FixtureKit {
    TempDir dir;
    std::map<std::string, std::string> env;
    FixtureKit() {
        fs::create_directories(dir.path + "/labs");
        fs::create_directory_symlink(PTV_LAB_FIXTURE_DIR, dir.path + "/labs/00-example");
        for (const char* part : {"harness", "grader"})
            fs::create_directory_symlink(std::string(PTV_KIT_SOURCE_FOR_TESTS) + "/labs/" + part,
                                         dir.path + "/labs/" + part);
        fs::copy_file(std::string(PTV_KIT_SOURCE_FOR_TESTS) + "/labs/README.md",
                      dir.path + "/labs/README.md");
        env = {{"PTV_KIT_SOURCE", dir.path}, {"PTV_KIT_BUILD", PTV_KIT_BUILD_FOR_TESTS}};
    }
};

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string last_line(const std::string& text) {
    auto end = text.find_last_not_of('\n');
    auto begin = text.rfind('\n', end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1, end - begin);
}

}  // namespace

TEST_CASE("ptv lab list: id, points and title") {
    FixtureKit kit;
    auto r = run({ptv::test::bin("ptv"), "lab", "list"}, kit.env);
    CHECK(r.status == 0);
    CHECK(r.out ==
          "lab            points title\n"
          "00-example     11     Example lab (the grader's own test fixture)\n");
}

TEST_CASE("ptv lab list: the titles line up however long the ids are") {
    // The kit's own labs, whose ids are longer than the fixture's.
    auto r = run({ptv::test::bin("ptv"), "lab", "list"}, {});
    REQUIRE(r.status == 0);
    std::istringstream lines(r.out);
    std::string line, header;
    std::getline(lines, header);
    const size_t column = header.find("title");
    REQUIRE(column != std::string::npos);
    int rows = 0;
    while (std::getline(lines, line)) {
        ++rows;
        CHECK(line.size() > column);
        CHECK(line[column - 1] == ' ');
        CHECK(line[column] != ' ');
        // The id ends before the points column.
        CHECK(line.find(' ') < header.find("points"));
    }
    CHECK(rows >= 2);
}

TEST_CASE("ptv lab start, then make grade in the student's directory") {
    FixtureKit kit;
    TempDir home;
    std::string work = home.path + "/lab0";
    auto started = run({ptv::test::bin("ptv"), "lab", "start", "00-example", work}, kit.env);
    REQUIRE(started.status == 0);
    for (const char* f :
         {"README.md", "example.cpp", "include/example.hpp", "public/cases.cpp", "Makefile"})
        CHECK_MESSAGE(fs::exists(work + "/" + f), f);
    CHECK_FALSE(fs::exists(work + "/solution"));
    CHECK(read(work + "/example.cpp") ==
          read(std::string(PTV_LAB_FIXTURE_DIR) + "/starter/example.cpp"));
    std::string makefile = read(work + "/Makefile");
    CHECK(makefile.find("PTV ?= " + fs::canonical(ptv::test::bin("ptv")).string() + "\n") !=
          std::string::npos);
    CHECK(
        makefile.find("\t$(PTV) grade 00-example --submission . $(if $(ONLY),--only $(ONLY))\n") !=
        std::string::npos);

    auto again = run({ptv::test::bin("ptv"), "lab", "start", "00-example", work}, kit.env);
    CHECK(again.status == 2);
    CHECK(again.err == "ptv: " + work + " is not empty; give a new or empty directory\n");

    // The student's solution, graded by `make grade` with one case.
    fs::copy_file(std::string(PTV_LAB_FIXTURE_DIR) + "/solution/example.cpp", work + "/example.cpp",
                  fs::copy_options::overwrite_existing);
    auto one = run({"/usr/bin/make", "-s", "-C", work, "grade", "ONLY=add-small"}, kit.env, 120);
    CHECK(one.status == 0);
    CHECK(last_line(one.out) == "Score: 2/2");
    auto all = run({"/usr/bin/make", "-s", "-C", work, "grade"}, kit.env, 120);
    CHECK(all.status == 0);
    CHECK(last_line(all.out) == "Score: 11/11");
    CHECK(fs::exists(work + "/lab-tests-asan"));
    CHECK(run({"/usr/bin/make", "-s", "-C", work, "clean"}, kit.env).status == 0);
    CHECK_FALSE(fs::exists(work + "/lab-tests"));
    CHECK_FALSE(fs::exists(work + "/lab-tests-asan"));
}

TEST_CASE("ptv grade: formats to a file, and each mistake is one line with status 2") {
    FixtureKit kit;
    TempDir sub;
    fs::copy_file(std::string(PTV_LAB_FIXTURE_DIR) + "/submissions/mixed/example.cpp",
                  sub.path + "/example.cpp");
    auto graded =
        run({ptv::test::bin("ptv"), "grade", "00-example", "--submission", sub.path, "--format",
             "prairielearn", "--out", sub.file("results.json"), "--seed-base", "5", "-j", "2"},
            kit.env, 120);
    CHECK(graded.status == 0);
    CHECK(graded.out.starts_with("Score: 3/11 (report in "));
    auto doc = nlohmann::json::parse(read(sub.file("results.json")));
    CHECK(doc["score"].get<double>() == doctest::Approx(3.0 / 11));
    CHECK(doc["gradable"] == true);

    auto unknown = run({ptv::test::bin("ptv"), "grade", "99-nope"}, kit.env);
    CHECK(unknown.status == 2);
    CHECK(unknown.err == "ptv: no lab '99-nope'; labs: 00-example (see 'ptv lab list')\n");

    auto no_dir =
        run({ptv::test::bin("ptv"), "grade", "00-example", "--submission", sub.file("missing")},
            kit.env);
    CHECK(no_dir.status == 2);
    CHECK(no_dir.err == "ptv: no submission directory '" + sub.file("missing") + "'\n");

    TempDir empty;
    auto no_file =
        run({ptv::test::bin("ptv"), "grade", "00-example", "--submission", empty.path}, kit.env);
    CHECK(no_file.status == 2);
    CHECK(no_file.err ==
          "ptv: " + empty.path + " has no example.cpp; the lab's student files are: example.cpp\n");

    auto bad_format = run({ptv::test::bin("ptv-grade"), "00-example", "--format", "xml"}, kit.env);
    CHECK(bad_format.status == 2);
    CHECK(bad_format.err ==
          "ptv-grade: unknown format 'xml'; use text, json, gradescope or prairielearn\n");
}
