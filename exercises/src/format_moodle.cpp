// Moodle XML (Moodle's "Moodle XML format" for question import): a <quiz>
// of <question type="..."> elements, each with a <name>, a <questiontext>
// in HTML and its <answer fraction="..."> elements; a numerical answer has
// a <tolerance>. A category question first files the bank under
// ptvlab/MODULE. Moodle, and most LMSs that import Moodle XML, grade it.
#include <fmt/format.h>

#include "ptv/common/format.hpp"
#include "ptv/exercises/export.hpp"

namespace ptv::exercises {

namespace {

// HTML inside CDATA; a "]]>" in it would end the section early.
std::string cdata(const std::string& html) {
    std::string s = html;
    for (size_t at = s.find("]]>"); at != std::string::npos; at = s.find("]]>", at + 15))
        s.replace(at, 3, "]]]]><![CDATA[>");
    return "<![CDATA[" + s + "]]>";
}

// An XML comment may not hold "--" (commands have options that do).
std::string comment(const std::string& s) {
    std::string out = escape_html(s);
    for (size_t at = out.find("--"); at != std::string::npos; at = out.find("--", at))
        out.replace(at, 2, "- -");
    if (!out.empty() && out.back() == '-') out += ' ';
    return "<!-- " + out + " -->";
}

std::string number(double v) {
    return fmt::format("{}", v);
}

std::string fraction(double f) {
    return fmt::format("{}", f);
}

void question(std::string& x, const Question& q) {
    x += "  " + comment(fmt::format("{}: seed {}; regenerate with: {}", q.id, q.seed, q.command)) +
         "\n";
    for (const auto& s : q.skipped) x += "  " + comment(s) + "\n";
    const bool numerical = q.type == Question::Type::Numerical;
    x += fmt::format("  <question type=\"{}\">\n", numerical ? "numerical" : "multichoice");
    x += fmt::format("    <name>\n      <text>{}: {}</text>\n    </name>\n", escape_html(q.id),
                     escape_html(q.title));
    const std::string& text = q.text;
    x += fmt::format(
        "    <questiontext format=\"html\">\n      <text>{}</text>\n    </questiontext>\n",
        cdata(to_html(text)));
    std::string feedback = q.explanation;
    if (numerical)
        feedback += fmt::format(" Tolerance {}: {}.", number(q.tolerance), q.tolerance_why);
    feedback +=
        fmt::format(" Seed {}; '{}' regenerates the problem with its answers.", q.seed, q.command);
    x += fmt::format(
        "    <generalfeedback format=\"html\">\n      <text>{}</text>\n    "
        "</generalfeedback>\n",
        cdata(to_html(feedback)));
    x += "    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n    <hidden>0</hidden>\n";
    x += fmt::format("    <idnumber>{}</idnumber>\n", escape_html(q.id));
    if (numerical) {
        x += fmt::format(
            "    <answer fraction=\"100\" format=\"moodle_auto_format\">\n"
            "      <text>{}</text>\n"
            "      <tolerance>{}</tolerance>\n"
            "      <feedback format=\"html\">\n        <text></text>\n      </feedback>\n"
            "    </answer>\n",
            number(q.answer), number(q.tolerance));
        x += "    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0</unitpenalty>\n"
             "    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n";
    } else {
        x += "    <single>true</single>\n    <shuffleanswers>true</shuffleanswers>\n"
             "    <answernumbering>abc</answernumbering>\n";
        for (const Choice& c : q.choices)
            x += fmt::format(
                "    <answer fraction=\"{}\" format=\"html\">\n"
                "      <text>{}</text>\n"
                "      <feedback format=\"html\">\n        <text></text>\n      </feedback>\n"
                "    </answer>\n",
                fraction(c.fraction), cdata(to_html(c.text)));
    }
    x += fmt::format(
        "    <tags>\n      <tag>\n        <text>ptvlab</text>\n      </tag>\n      <tag>\n"
        "        <text>{}</text>\n      </tag>\n    </tags>\n",
        escape_html(q.module));
    x += "  </question>\n";
}

}  // namespace

std::string to_moodle_xml(const Bank& b) {
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n";
    x += fmt::format(
        "  {}\n"
        "  <question type=\"category\">\n    <category>\n"
        "      <text>$course$/top/ptvlab/{}</text>\n    </category>\n  </question>\n",
        comment(fmt::format("ptvlab exercise bank: module {}, seed {}, {} questions", b.module,
                            b.seed, b.questions.size())),
        escape_html(b.module));
    for (const Question& q : b.questions) question(x, q);
    x += "</quiz>\n";
    return x;
}

}  // namespace ptv::exercises
