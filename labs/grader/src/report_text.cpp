// The text report: per test its points, verdict and what to do about it,
// then "Score: N/M" (the last line, which `make grade` ends with).
#include <fmt/format.h>

#include <set>
#include <sstream>

#include "ptv/lab/grader/report.hpp"

namespace ptv::lab {

namespace {
std::string indent(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) out += prefix + line + "\n";
    return out;
}
}  // namespace

std::string report_text(const GradeResult& r) {
    std::string out = fmt::format("{}: {}   (grader {})\n", r.lab, r.title, r.grader_hash);
    std::string part;
    // One compiler log per variant is enough: the other tests of that
    // variant repeat only its first error line.
    std::set<std::string> logs_shown;
    for (const auto& t : r.tests) {
        if (t.part != part) {
            part = t.part;
            out += fmt::format("{}\n", part);
        }
        std::string points = t.status == Status::Informational ? std::string("  -  ")
                                                               : score_text(t.points, t.max_points);
        out += fmt::format("  {:>7} {:>7}  {}{}: {}\n", t.number, points, t.name,
                           t.hidden ? " (hidden)" : "", status_name(t.status));
        if (t.status == Status::Passed) continue;
        TestResult shown = t;
        if (t.status == Status::CompileError && !logs_shown.insert(t.output).second)
            shown.output.clear();
        out += indent(test_details(shown, 20), "                   ");
    }
    out += fmt::format("Score: {}\n", score_text(r.score(), r.max_score()));
    return out;
}

}  // namespace ptv::lab
