// `ptv demo` run as an instructor runs it, on small decks of the test's own
// (PTV_SLIDES_DIR) and on the kit's slides/ (found beside the build tree).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "process.hpp"

using ptv::test::bin;
using ptv::test::run;

namespace {

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

size_t count(const std::string& s, const std::string& part) {
    size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

// Whether a process whose command line holds `args` (NUL-separated) runs.
bool running(const std::string& args) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::ifstream in(e.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), {});
        if (has(cmdline, args)) return true;
    }
    return false;
}

// A slides directory holding one deck, 01-test.md, with these lines.
struct Slides {
    ptv::test::TempDir dir;
    explicit Slides(const std::string& deck) {
        std::ofstream(dir.file("01-test.md")) << "# A test deck\n\n" << deck;
    }
    ptv::test::Completed demo(std::vector<std::string> args, const std::string& input = "",
                              std::map<std::string, std::string> env = {}) const {
        args.insert(args.begin(), {bin("ptv"), "demo"});
        env["PTV_SLIDES_DIR"] = dir.path;
        return run(args, env, 60, input);
    }
};

const char* kTwoSteps =
    "```sh demo\n"
    "ptv migrate bindings --table\n"
    "ptv threads sim --model many-to-one --workload \"c5 b10 c3, c4, c2 b2 c2\" -c\n"
    "```\n";

}  // namespace

TEST_CASE("ptv demo --no-pause prints each command, runs it and says it passed") {
    Slides slides(kTwoSteps);
    auto r = slides.demo({"1", "--no-pause"});
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "[1/2] $ ptv migrate bindings --table\n"));
    CHECK(has(r.out, "by type              RB (or MV, CP)"));  // the command's own output
    CHECK(has(r.out,
              "[2/2] $ ptv threads sim --model many-to-one --workload \"c5 b10 c3, "
              "c4, c2 b2 c2\" -c\n"));
    CHECK(has(r.out, "  2. U0 18, U1 22, U2 28"));  // sim/threads/sim/README.md's example
    CHECK(count(r.out, "] ok (") == 2);
    CHECK(has(r.out, "ptv demo 01-test: 2 passed, 0 skipped (need /dev/kvm)"));
    // Step 1's output comes before step 2's command: each runs to its end first.
    CHECK(r.out.find("RB (or MV, CP)") < r.out.find("[2/2] $"));
}

TEST_CASE("ptv demo waits for Enter between steps, and q stops it") {
    Slides slides(kTwoSteps);
    auto both = slides.demo({"test"}, "\n");
    REQUIRE(both.status == 0);
    CHECK(count(both.out, "Enter runs it") == 1);  // between the two steps, not before the first
    CHECK(has(both.out, "2 passed"));

    auto stopped = slides.demo({"test"}, "q\n");
    CHECK(stopped.status == 0);
    CHECK(has(stopped.out, "[1/2] ok"));
    CHECK_FALSE(has(stopped.out, "U0 18, U1 22, U2 28"));
    CHECK(has(stopped.out, "ptv demo 01-test: stopped before demo 2; 1 passed, 0 skipped"));

    auto closed = slides.demo({"test"});  // end of input: stop, as with q
    CHECK(closed.status == 0);
    CHECK(has(closed.out, "stopped before demo 2"));
}

TEST_CASE("ptv demo stops at the first command that fails, with its status") {
    Slides slides(
        "```sh demo\n"
        "ptv kvm guests\n"
        "ptv threads sim --model nonsense\n"
        "ptv migrate bindings --table\n"
        "```\n");
    auto r = slides.demo({"1", "--no-pause"});
    CHECK(r.status == 2);          // ptv threads sim's own status for a bad --model
    CHECK(has(r.out, "hello\n"));  // ptv kvm guests ran, from this build
    CHECK(has(r.err,
              "ptv demo: demo 2 of 01-test failed with exit status 2: ptv threads sim "
              "--model nonsense\n"));
    CHECK_FALSE(has(r.out, "[3/3]"));
}

TEST_CASE("ptv demo skips a KVM demo where there is no /dev/kvm, and says why") {
    Slides slides(
        "```sh demo kvm\n"
        "ptv kvm run hello\n"
        "```\n"
        "```sh demo\n"
        "ptv kvm guests\n"
        "```\n");
    auto r = slides.demo({"1", "--no-pause"}, "", {{"PTV_KVM_DEVICE", "/nonexistent/kvm"}});
    CHECK(r.status == 0);
    CHECK(has(r.out,
              "[1/2] $ ptv kvm run hello\n[1/2] skipped: needs /dev/kvm (real guests), "
              "which this machine does not have\n"));
    CHECK_FALSE(has(r.out, "Hello from a ptvlab guest"));
    CHECK(has(r.out, "ptv demo 01-test: 1 passed, 1 skipped (need /dev/kvm)"));

    // A file that only has the device's name is no KVM either.
    std::ofstream(slides.dir.file("kvm")) << "";
    auto file = slides.demo({"1", "--no-pause"}, "", {{"PTV_KVM_DEVICE", slides.dir.file("kvm")}});
    CHECK(file.status == 0);
    CHECK(has(file.out, "[1/2] skipped: needs /dev/kvm"));
}

TEST_CASE("ptv demo --step runs one step and --timeout stops one that runs too long") {
    Slides slides(
        "```sh demo\n"
        "ptv migrate bindings --table\n"
        "ptv threads demo blocking --block-ms 5000\n"
        "```\n");
    auto one = slides.demo({"1", "--step", "1"});
    CHECK(one.status == 0);
    CHECK(has(one.out, "ptv demo 01-test: demo 1 of 2 from "));
    CHECK(has(one.out, "1 passed"));
    CHECK_FALSE(has(one.out, "[2/2]"));

    auto slow = slides.demo({"1", "--step", "2", "--timeout", "1"});
    CHECK(slow.status == 124);
    CHECK(has(slow.err,
              "ptv demo: demo 2 of 01-test ran longer than --timeout 1 s and was "
              "stopped: ptv threads demo blocking --block-ms 5000\n"));
    CHECK_FALSE(
        running(std::string("--block-ms\0"
                            "5000",
                            15)));  // the step's whole group was killed

    auto beyond = slides.demo({"1", "--step", "3"});
    CHECK(beyond.status == 2);
    CHECK(beyond.err == "ptv: 01-test has 2 demos; --step takes 1 to 2\n");

    auto listed = slides.demo({"1", "--list"});
    CHECK(listed.status == 0);
    CHECK(listed.out ==
          " 1  ptv migrate bindings --table\n 2  ptv threads demo blocking --block-ms 5000\n");
}

TEST_CASE("ptv demo refuses a deck whose demo line is not a ptv command") {
    Slides slides("```sh demo\nls /\n```\n");
    auto r = slides.demo({"1", "--no-pause"});
    CHECK(r.status == 2);
    CHECK(count(r.err, "\n") == 1);
    CHECK(has(r.err, "01-test.md:4: a demo line is one ptv command as typed"));
}

TEST_CASE(
    "ptv demo finds the kit's slides beside the build tree, and lists them for a bad lecture") {
    for (auto bad : {"9", "nonsense"}) {
        CAPTURE(bad);
        auto r = run({bin("ptv"), "demo", bad}, {{"PTV_SLIDES_DIR", ""}});
        CHECK(r.status == 2);
        CHECK(r.err == std::string("ptv: no lecture '") + bad +
                           "'; lectures: 01-processes-and-threads, 02-virtualization, "
                           "03-worker-process, 04-clients-and-servers, 05-code-migration (by "
                           "number or name)\n");
        CHECK(r.out.empty());
    }
    auto listed = run({bin("ptv"), "demo", "2", "--list"}, {{"PTV_SLIDES_DIR", ""}});
    CHECK(listed.status == 0);
    CHECK(has(listed.out, " 1  ptv "));

    auto nowhere = run({bin("ptv"), "demo", "1"}, {{"PTV_SLIDES_DIR", "/nonexistent/slides"}});
    CHECK(nowhere.status == 2);
    CHECK(nowhere.err ==
          "ptv: PTV_SLIDES_DIR=/nonexistent/slides is not a directory; point it at the kit's "
          "slides/\n");
}
