// common/graphviz: DOT text rendered through the real Graphviz `dot`, the
// Drawing's files, its errors, and a renderer of the test's own plugged in.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "drawing.hpp"
#include "process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/graphviz.hpp"

namespace gv = ptv::graphviz;
using ptv::test::read_file;

namespace {

const std::string kGraph =
    "digraph g {\n  a [label=\"dispatcher\"];\n  b [label=\"worker-1\"];\n"
    "  a -> b [label=\"3 & 4\"];\n}\n";

std::string usage_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "";
}

// A renderer that is not Graphviz: what a build linking libgvc, or a
// renderer for another format, would plug in.
struct Echo : gv::Renderer {
    mutable int calls = 0;
    bool fail = false;
    void check(gv::Format, const std::string&) const override {}
    std::string render(const std::string& dot, gv::Format f,
                       const std::string& path) const override {
        ++calls;
        if (fail) throw ptv::UsageError(std::string(gv::flag(f)) + " " + path + ": refused");
        return (f == gv::Format::Svg ? "svg of " : "png of ") + std::to_string(dot.size());
    }
};

gv::Paths files(std::string dot, std::string svg, std::string png) {
    gv::Paths p;
    p.dot = std::move(dot);
    p.svg = std::move(svg);
    p.png = std::move(png);
    return p;
}

// PATH for the length of a scope.
struct PathAs {
    std::string saved;
    explicit PathAs(const std::string& path)
        : saved(std::getenv("PATH") ? std::getenv("PATH") : "") {
        setenv("PATH", path.c_str(), 1);
    }
    ~PathAs() { setenv("PATH", saved.c_str(), 1); }
};

}  // namespace

TEST_CASE("dot renders SVG: well-formed, and every label is a text element") {
    REQUIRE_MESSAGE(!gv::DotProgram::locate().empty(), "Graphviz's dot: scripts/setup.sh");
    ptv::test::TempDir dir;
    gv::Drawing d(files("", dir.file("g.svg"), ""));
    CHECK(d.wanted());
    d.write(kGraph);
    CHECK(ptv::test::xml_problem(dir.file("g.svg")) == "");
    const std::string svg = read_file(dir.file("g.svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    const auto texts = ptv::test::svg_texts(svg);
    CHECK(ptv::test::svg_has_text(texts, "dispatcher"));
    CHECK(ptv::test::svg_has_text(texts, "worker-1"));  // written as &#45;
    CHECK(ptv::test::svg_has_text(texts, "3 & 4"));
    CHECK(texts.size() == 3);
}

TEST_CASE("dot renders PNG, and --dot, --svg and --png together each get theirs") {
    ptv::test::TempDir dir;
    gv::Drawing d(files(dir.file("g.dot"), dir.file("g.svg"), dir.file("g.png")));
    d.write(kGraph);
    CHECK(read_file(dir.file("g.dot")) == kGraph);
    CHECK(read_file(dir.file("g.svg")).find("<svg") != std::string::npos);
    const std::string png = read_file(dir.file("g.png"));
    const auto size = ptv::test::png_size(png);
    REQUIRE(size.has_value());
    // Two labelled nodes one above the other: wider than a word, taller
    // than two nodes, far from a poster.
    CHECK(size->width > 50);
    CHECK(size->width < 1000);
    CHECK(size->height > 100);
    CHECK(size->height < 1000);
    CHECK(png.size() > 1000);
}

TEST_CASE("a renderer of one's own plugs in") {
    ptv::test::TempDir dir;
    auto echo = std::make_shared<Echo>();
    {
        gv::Drawing d(files(dir.file("g.dot"), dir.file("g.svg"), dir.file("g.png")), echo);
        d.write(kGraph);
    }
    CHECK(echo->calls == 2);
    CHECK(read_file(dir.file("g.svg")) == "svg of " + std::to_string(kGraph.size()));
    CHECK(read_file(dir.file("g.png")) == "png of " + std::to_string(kGraph.size()));
    CHECK(read_file(dir.file("g.dot")) == kGraph);
}

TEST_CASE("a failed rendering leaves no file of its own behind") {
    ptv::test::TempDir dir;
    auto echo = std::make_shared<Echo>();
    echo->fail = true;
    const std::string svg = dir.file("g.svg");
    {
        gv::Drawing d(files(dir.file("g.dot"), svg, ""), echo);
        CHECK(usage_error([&] { d.write(kGraph); }) == "--svg " + svg + ": refused");
    }
    CHECK(read_file(dir.file("g.dot")) == kGraph);  // written before the failure
    CHECK_FALSE(std::filesystem::exists(svg));
}

TEST_CASE("dot failing: its first line of complaint") {
    ptv::test::TempDir dir;
    const std::string svg = dir.file("bad.svg");
    {
        gv::Drawing d(files("", svg, ""));
        CHECK(usage_error([&] { d.write("digraph {\n a -> \n"); }) ==
              "--svg " + svg + ": Graphviz's dot failed: Error: <stdin>: syntax error in line 3");
    }
    CHECK_FALSE(std::filesystem::exists(svg));
}

TEST_CASE("no dot on PATH: one line saying what to install, and no file") {
    ptv::test::TempDir dir;
    const std::string svg = dir.file("g.svg"), png = dir.file("g.png");
    PathAs path(dir.path);  // a directory with no dot in it
    CHECK(gv::DotProgram::locate() == "");
    CHECK(usage_error([&] { gv::Drawing d(files("", svg, "")); }) ==
          "--svg " + svg + " needs Graphviz's dot; install it with scripts/setup.sh");
    CHECK(usage_error([&] { gv::Drawing d(files(dir.file("g.dot"), "", png)); }) ==
          "--png " + png + " needs Graphviz's dot; install it with scripts/setup.sh");
    CHECK_FALSE(std::filesystem::exists(svg));
    CHECK_FALSE(std::filesystem::exists(dir.file("g.dot")));
    // --dot alone needs no Graphviz.
    gv::Drawing d(files(dir.file("g.dot"), "", ""));
    d.write(kGraph);
    CHECK(read_file(dir.file("g.dot")) == kGraph);
}

TEST_CASE("a path that cannot be written: named, and the files opened before it removed") {
    ptv::test::TempDir dir;
    CHECK(usage_error(
              [&] { gv::Drawing d(files(dir.file("g.dot"), "/nonexistent-dir/g.svg", "")); }) ==
          "--svg /nonexistent-dir/g.svg: cannot open it for writing (No such file or "
          "directory); check the path");
    CHECK_FALSE(std::filesystem::exists(dir.file("g.dot")));
    gv::Drawing none(gv::Paths{});
    CHECK_FALSE(none.wanted());
}

TEST_CASE("quoting for DOT strings and HTML-like labels") {
    CHECK(gv::escape_string("a \"b\"\\c\nd") == "a \\\"b\\\"\\\\c\\nd");
    CHECK(gv::escape_html("MV <or> \"GR\" & CP") == "MV &lt;or&gt; &quot;GR&quot; &amp; CP");
}
