// The export formats: Moodle XML well-formed (xmllint) and shaped as Moodle's
// question import reads it; GIFT paragraphs that parse; the same seed the
// same bank, byte for byte.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "support.hpp"

using nlohmann::json;
using namespace ptv::test::exercises;

namespace {

// libxml2-utils' xmllint (scripts/setup.sh installs it).
std::string xmllint() {
    const std::string path = "/usr/bin/xmllint";
    INFO("no ", path, ": run scripts/setup.sh (libxml2-utils)");
    REQUIRE(std::filesystem::exists(path));
    return path;
}

// xmllint --xpath on FILE: the number an XPath count() gives.
int count(const std::string& file, const std::string& xpath) {
    const auto c = ptv::test::run({xmllint(), "--xpath", "count(" + xpath + ")", file});
    INFO(xpath, c.err);
    REQUIRE(c.status == 0);
    return std::stoi(c.out);
}

// One GIFT question: "::title::body{answers}", with \-escapes.
struct GiftQuestion {
    std::string title, body, answers;
};

// Parses a GIFT file: paragraphs separated by blank lines; "//" comment
// lines and "$CATEGORY:" lines stand alone. Fails the test on a paragraph
// that is not a question.
std::vector<GiftQuestion> parse_gift(const std::string& text) {
    std::vector<GiftQuestion> qs;
    std::vector<std::string> paragraphs(1);
    size_t from = 0;
    while (from < text.size()) {
        size_t end = text.find('\n', from);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(from, end - from);
        from = end + 1;
        if (line.empty()) {
            if (!paragraphs.back().empty()) paragraphs.emplace_back();
            continue;
        }
        if (line.starts_with("//") || line.starts_with("$CATEGORY:")) continue;
        paragraphs.back() += line + "\n";
    }
    for (const std::string& p : paragraphs) {
        if (p.empty()) continue;
        INFO(p);
        REQUIRE(p.starts_with("::"));
        // The next unescaped "::" closes the title; the first unescaped "{"
        // opens the answers, the last unescaped "}" closes them.
        auto unescaped = [&](size_t at) { return at == 0 || p[at - 1] != '\\'; };
        size_t close = 2;
        while (close < p.size() && !(p.compare(close, 2, "::") == 0 && unescaped(close))) ++close;
        REQUIRE(close < p.size());
        size_t open = close + 2;
        while (open < p.size() && !(p[open] == '{' && unescaped(open))) ++open;
        REQUIRE(open < p.size());
        size_t last = p.size() - 1;
        while (last > open && !(p[last] == '}' && unescaped(last))) --last;
        REQUIRE(last > open);
        // Nothing after the answers but the paragraph's line end.
        CHECK(p.substr(last + 1) == "\n");
        GiftQuestion q{p.substr(2, close - 2), p.substr(close + 2, open - close - 2),
                       p.substr(open + 1, last - open - 1)};
        // The body has no unescaped special character left.
        for (size_t i = 0; i < q.body.size(); ++i)
            if (i > 0 && std::string("~=#{}:").find(q.body[i]) != std::string::npos)
                CHECK(q.body[i - 1] == '\\');
        qs.push_back(q);
    }
    return qs;
}

}  // namespace

TEST_CASE("Moodle XML is well-formed and has Moodle's question structure, for every module") {
    ptv::test::TempDir dir;
    for (const auto& module : kModules) {
        CAPTURE(module);
        const auto c = export_bank(module, 6, 3, "moodle-xml");
        REQUIRE(c.status == 0);
        const std::string file = dir.file(module + ".xml");
        std::ofstream(file) << c.out;
        const auto lint = ptv::test::run({xmllint(), "--noout", file});
        INFO(lint.err);
        CHECK(lint.status == 0);
        CHECK(count(file, "/quiz") == 1);
        CHECK(count(file, "/quiz/question[@type='category']/category/text") == 1);
        const std::string q = "/quiz/question[@type!='category']";
        CHECK(count(file, q) == 6);
        CHECK(count(file, q + "[@type='numerical' or @type='multichoice']") == 6);
        // Every question: a name, an HTML question text, an answer worth 100%.
        CHECK(count(file, q + "[name/text[normalize-space()]]") == 6);
        CHECK(count(file, q + "[questiontext[@format='html']/text[normalize-space()]]") == 6);
        CHECK(count(file, q + "[answer[@fraction='100']/text[normalize-space()]]") == 6);
        // Numerical ones a tolerance on every answer; multiple choice one
        // right answer among several.
        CHECK(count(file, "/quiz/question[@type='numerical']/answer[not(tolerance)]") == 0);
        CHECK(count(file,
                    "/quiz/question[@type='multichoice'][count(answer[@fraction='100']) != 1]") ==
              0);
        CHECK(count(file, "/quiz/question[@type='multichoice'][count(answer) < 2]") == 0);
        CHECK(count(file, "/quiz/question[@type='multichoice'][not(single)]") == 0);
        // Fractions are the values Moodle offers (here 100, 50 and 0).
        CHECK(count(file, "//answer[@fraction!='100' and @fraction!='50' and @fraction!='0']") ==
              0);
    }
}

TEST_CASE("the Moodle XML carries each question's answer, seed and command") {
    const json b = bank("threads", 3, 5);
    const auto c = export_bank("threads", 3, 5, "moodle-xml");
    REQUIRE(c.status == 0);
    for (const auto& q : b["questions"]) {
        CHECK(c.out.find("<idnumber>" + q["id"].get<std::string>() + "</idnumber>") !=
              std::string::npos);
        CHECK(c.out.find("'" + q["command"].get<std::string>() + "' regenerates") !=
              std::string::npos);
        if (q["type"] == "numerical")
            CHECK(c.out.find(fmt::format("<text>{}</text>", q["answer"].get<double>())) !=
                  std::string::npos);
    }
}

TEST_CASE("GIFT: every question has a title, a body and an answer block that parse") {
    for (const auto& module : kModules) {
        CAPTURE(module);
        const json b = bank(module, 6, 3);
        const auto c = export_bank(module, 6, 3, "gift");
        REQUIRE(c.status == 0);
        const auto qs = parse_gift(c.out);
        REQUIRE(qs.size() == 6);
        for (size_t i = 0; i < qs.size(); ++i) {
            const json& q = b["questions"][i];
            CHECK(qs[i].title.starts_with(q["id"].get<std::string>()));
            CHECK_FALSE(qs[i].body.empty());
            if (q["type"] == "numerical") {
                CHECK(qs[i].answers == fmt::format("#{}:{}", q["answer"].get<double>(),
                                                   q["tolerance"].get<double>()));
            } else {
                // One "=" choice, the others "~" (or "~%50%").
                int right = 0, others = 0;
                for (size_t k = 0; k < qs[i].answers.size(); ++k) {
                    if (k > 0 && qs[i].answers[k - 1] == '\\') continue;
                    right += qs[i].answers[k] == '=';
                    others += qs[i].answers[k] == '~';
                }
                CHECK(right == 1);
                CHECK(others == int(q["choices"].size()) - 1);
            }
        }
    }
}

TEST_CASE("GIFT escapes ~ = # { } : in text") {
    // The servers questions hold "1 tick = 1 ms" and colons.
    const auto c = export_bank("servers", 2, 0, "gift");
    REQUIRE(c.status == 0);
    CHECK(c.out.find("1 tick \\= 1 ms") != std::string::npos);
    CHECK(c.out.find("\\:") != std::string::npos);
}

TEST_CASE("the same seed gives the same bank byte for byte and another seed another bank") {
    for (const std::string format : {"json", "moodle-xml", "gift"}) {
        for (const auto& module : kModules) {
            CAPTURE(format);
            CAPTURE(module);
            const auto a = export_bank(module, 5, 42, format),
                       b = export_bank(module, 5, 42, format);
            REQUIRE(a.status == 0);
            CHECK(a.out == b.out);
            CHECK(a.out != export_bank(module, 5, 43, format).out);
        }
    }
}

TEST_CASE("-o FILE writes the bank there, as on stdout") {
    ptv::test::TempDir dir;
    const auto c = run_ptv({"exercises", "export", "--module", "bindings", "--count", "3", "-s",
                            "1", "--format", "gift", "-o", dir.file("b.gift")});
    REQUIRE(c.status == 0);
    CHECK(c.out.empty());
    std::ifstream in(dir.file("b.gift"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == export_bank("bindings", 3, 1, "gift").out);
}
