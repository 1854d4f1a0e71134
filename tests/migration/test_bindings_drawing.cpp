// `ptv migrate bindings --dot/--svg/--png`: Fig. 3-19's table and a seed's
// exercises, rendered by the real Graphviz and read back.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "drawing.hpp"
#include "process.hpp"
#include "ptv/migration/sim/bindings.hpp"
#include "ptv/migration/sim/bindings_drawing.hpp"

using namespace ptv::migration::sim;
using ptv::test::bin;
using ptv::test::run;

namespace {

struct Drawn {
    int status;
    std::string out, err;
    std::vector<std::string> texts;
};

Drawn draw(std::vector<std::string> args) {
    ptv::test::TempDir dir;
    args.insert(args.begin(), {bin("ptv"), "migrate", "bindings"});
    args.insert(args.end(), {"--dot", dir.file("b.dot"), "--svg", dir.file("b.svg"), "--png",
                             dir.file("b.png")});
    const auto r = run(args);
    Drawn d{r.status, r.out, r.err, {}};
    if (r.status != 0) return d;
    CHECK(ptv::test::xml_problem(dir.file("b.svg")) == "");
    const std::string svg = ptv::test::read_file(dir.file("b.svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    d.texts = ptv::test::svg_texts(svg);
    for (const auto& line : ptv::test::dot_label_lines(ptv::test::read_file(dir.file("b.dot")))) {
        CAPTURE(line);
        CHECK(ptv::test::svg_has_text(d.texts, line));
    }
    const auto png = ptv::test::png_size(ptv::test::read_file(dir.file("b.png")));
    CHECK(png.has_value());
    if (png) CHECK(png->width > 300);
    return d;
}

size_t count(const std::vector<std::string>& texts, const std::string& text) {
    return size_t(std::count(texts.begin(), texts.end(), text));
}

}  // namespace

TEST_CASE("--table --svg: Fig. 3-19, every cell as the book has it") {
    const Drawn d = draw({"--table"});
    REQUIRE(d.status == 0);
    CHECK(d.out.find("Fig. 3-19") != std::string::npos);  // the text table is still printed
    for (const char* header :
         {"by identifier", "by value", "by type", "unattached", "fastened", "fixed",
          "resource-to-machine binding", "process-to-resource", "binding"}) {
        CAPTURE(header);
        CHECK(count(d.texts, header) == 1);
    }
    // Tanenbaum & van Steen, Fig. 3-19, row by row.
    for (const char* cell : {"MV (or GR)", "GR (or MV)", "CP (or MV, GR)", "GR (or CP)",
                             "RB (or MV, CP)", "RB (or GR, CP)", "RB (or GR)"}) {
        CAPTURE(cell);
        CHECK(count(d.texts, cell) == 1);
    }
    CHECK(count(d.texts, "GR") == 3);  // two cells (fixed by identifier, by value), the legend
    for (const char* text :
         {"MV", "CP", "RB", "move the resource", "establish a global systemwide reference",
          "copy the value of the resource", "rebind the process to a locally available resource"}) {
        CAPTURE(text);
        CHECK(count(d.texts, text) == 1);
    }
}

TEST_CASE("-s SEED -c --svg: the program, its resources and the action for each") {
    const auto ex = make_exercises(4, 6, "binding");
    const Drawn d = draw({"-s", "4", "-n", "6", "--kind", "binding", "-c"});
    REQUIRE(d.status == 0);
    CHECK(ptv::test::svg_has_text(d.texts, "the program"));
    CHECK(ptv::test::svg_has_text(d.texts, "migrates"));
    for (size_t i = 0; i < ex.size(); ++i) {
        const Resource& r = resource_catalogue()[ex[i].index];
        CAPTURE(r.name);
        CHECK(ptv::test::svg_has_text(d.texts, table_cell(r.binding, r.attachment)));
        CHECK(ptv::test::svg_has_text(d.texts, to_string(r.binding)));
        CHECK(ptv::test::svg_has_text(d.texts, std::string("(") + to_string(r.attachment) + ")"));
        // The resource's node starts with its exercise's number.
        const std::string first = std::to_string(i + 1) + ". ";
        CHECK(std::any_of(d.texts.begin(), d.texts.end(), [&](const std::string& t) {
            return t.rfind(first, 0) == 0 &&
                   std::string(r.name).rfind(t.substr(first.size()), 0) == 0;
        }));
    }
    // Without -c the question: no binding, attachment or action shown.
    const Drawn q = draw({"-s", "4", "-n", "6", "--kind", "binding"});
    REQUIRE(q.status == 0);
    CHECK(count(q.texts, "?") == 12);
    for (const char* answer :
         {"by identifier", "by value", "by type", "(fixed)", "(fastened)", "(unattached)"})
        CHECK(count(q.texts, answer) == 0);
}

TEST_CASE("mixed exercises: the mobility ones are named, not drawn") {
    const std::string dot = exercises_dot(3, make_exercises(3, 6, "mixed"), true);
    CHECK(dot.find("exercises 3, 6 ask about mobility (Fig. 3-18): not drawn") !=
          std::string::npos);
    CHECK(dot.find("r3 ") == std::string::npos);
    CHECK(dot.find("r5 [label=\"5. ") != std::string::npos);
}

TEST_CASE("ptv migrate bindings drawing: bad use is one line and exit 2") {
    ptv::test::TempDir dir;
    auto r = run({bin("ptv"), "migrate", "bindings", "-s", "1", "--kind", "mobility", "--svg",
                  dir.file("b.svg")});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err ==
          "ptv: --dot, --svg and --png draw the binding exercises and these are all on mobility; "
          "use --kind binding or mixed\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("b.svg")));
    r = run({bin("ptv"), "migrate", "bindings", "--table", "--png", "/nonexistent-dir/b.png"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err ==
          "ptv: --png /nonexistent-dir/b.png: cannot open it for writing (No such file or "
          "directory); check the path\n");
    r = run({bin("ptv"), "migrate", "bindings", "--table", "--svg", dir.file("b.svg")},
            {{"PATH", dir.path}});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err == "ptv: --svg " + dir.file("b.svg") +
                       " needs Graphviz's dot; install it with scripts/setup.sh\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("b.svg")));
}
