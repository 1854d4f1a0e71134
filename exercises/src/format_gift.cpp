// GIFT, Moodle's text format for questions: "::title::text{answers}", one
// question per paragraph; "{#value:tolerance}" for a numerical answer,
// "{=right ~%50%half ~wrong}" for multiple choice; "//" starts a comment.
// The characters ~ = # { } : (and the backslash) are escaped in text.
#include <fmt/format.h>

#include "ptv/exercises/export.hpp"

namespace ptv::exercises {

namespace {

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '~' || c == '=' || c == '#' || c == '{' || c == '}' || c == ':' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

std::string weight(double fraction) {
    if (fraction == 100) return "=";
    if (fraction == 0) return "~";
    return fmt::format("~%{}%", fraction);
}

}  // namespace

std::string to_gift(const Bank& b) {
    std::string g = fmt::format("// ptvlab exercise bank: module {}, seed {}, {} questions\n\n",
                                b.module, b.seed, b.questions.size());
    g += fmt::format("$CATEGORY: $course$/top/ptvlab/{}\n\n", b.module);
    for (const Question& q : b.questions) {
        g += fmt::format("// {}: seed {}; regenerate with: {}\n", q.id, q.seed, q.command);
        for (const auto& s : q.skipped) g += "// " + s + "\n";
        const std::string& text = q.text;
        g += fmt::format("::{}::[html]{}{{", escape(q.id + ": " + q.title), escape(to_html(text)));
        if (q.type == Question::Type::Numerical) {
            g += fmt::format("#{}:{}", q.answer, q.tolerance);
        } else {
            for (const Choice& c : q.choices)
                g += fmt::format("\n  {}{}", weight(c.fraction), escape(c.text));
            g += "\n";
        }
        g += "}\n\n";
    }
    return g;
}

}  // namespace ptv::exercises
