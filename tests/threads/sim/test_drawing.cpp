// `ptv threads sim --dot/--svg/--png`: the thread -> LWP -> CPU mapping
// rendered by the real Graphviz and read back.
#include <doctest/doctest.h>

#include <filesystem>

#include "drawing.hpp"
#include "process.hpp"

namespace {

ptv::test::Completed ptv_sim(std::vector<std::string> args,
                             const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv{ptv::test::bin("ptv"), "threads", "sim"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ptv::test::run(argv, env, 20);
}

const std::vector<std::string> kProblem = {"--model", "many-to-many", "--lwps",
                                           "2",       "--workload",   "c5 b10 c3, c4, c2 b2 c2"};

std::vector<std::string> with(std::vector<std::string> more) {
    std::vector<std::string> args = kProblem;
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST_CASE("--svg and --png: the mapping drawn, every thread, LWP and CPU a label") {
    ptv::test::TempDir dir;
    const auto r = ptv_sim(
        with({"--dot", dir.file("m.dot"), "--svg", dir.file("m.svg"), "--png", dir.file("m.png")}));
    REQUIRE(r.status == 0);
    CHECK(ptv::test::xml_problem(dir.file("m.svg")) == "");
    const std::string svg = ptv::test::read_file(dir.file("m.svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    const auto texts = ptv::test::svg_texts(svg);
    for (const char* node : {"U0", "U1", "U2", "L0", "L1", "CPU0"}) {
        CAPTURE(node);
        CHECK(ptv::test::svg_has_text(texts, node));
    }
    // The edges' compute ticks, as in the .dot (U0 -> L0 8, U2 -> L1 4).
    CHECK(ptv::test::svg_has_text(texts, "8"));
    CHECK(ptv::test::svg_has_text(texts, "4"));
    CHECK(ptv::test::svg_has_text(
        texts, "many-to-many: user threads -> kernel entities -> CPUs (edges: compute ticks)"));
    CHECK(ptv::test::read_file(dir.file("m.dot")).rfind("digraph threads {", 0) == 0);
    const auto png = ptv::test::png_size(ptv::test::read_file(dir.file("m.png")));
    REQUIRE(png.has_value());
    CHECK(png->width > 100);
    CHECK(png->height > 100);
    CHECK(png->width < 3000);
    CHECK(png->height < 3000);
}

TEST_CASE("--svg: a path that cannot be written, or no dot, is one line and status 2") {
    ptv::test::TempDir dir;
    auto r = ptv_sim(with({"--svg", "/nonexistent-dir/m.svg"}));
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err ==
          "ptv: --svg /nonexistent-dir/m.svg: cannot open it for writing (No such file or "
          "directory); check the path\n");
    const std::string svg = dir.file("m.svg");
    r = ptv_sim(with({"--svg", svg}), {{"PATH", dir.path}});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err ==
          "ptv: --svg " + svg + " needs Graphviz's dot; install it with scripts/setup.sh\n");
    CHECK_FALSE(std::filesystem::exists(svg));
}
