// The text report: per test its points, verdict and what to do about it,
// then "Score: N/M" (the last line, which `make grade` ends with).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <sstream>
#include <vector>

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
    // Informational entries (a KVM test run on the CPU model) are gathered
    // into one note at the end: a lab whose every test boots a guest would
    // otherwise say it once per test.
    std::vector<std::string> noted;
    std::string note;
    for (const auto& t : r.tests) {
        if (t.status == Status::Informational) {
            noted.push_back(t.number.substr(0, t.number.rfind('.')));
            note = t.message;
            continue;
        }
        if (t.part != part) {
            part = t.part;
            out += fmt::format("{}\n", part);
        }
        std::string points = score_text(t.points, t.max_points);
        out += fmt::format("  {:>7} {:>7}  {}{}: {}\n", t.number, points, t.name,
                           t.hidden ? " (hidden)" : "", status_name(t.status));
        if (t.status == Status::Passed) continue;
        TestResult shown = t;
        if (t.status == Status::CompileError && !logs_shown.insert(t.output).second)
            shown.output.clear();
        out += indent(test_details(shown, 20), "                   ");
    }
    if (!noted.empty())
        out += fmt::format("Note: {} ran on the CPU model, not on KVM ({}): {}\n",
                           noted.size() == 1 ? "1 test" : fmt::format("{} tests", noted.size()),
                           note, fmt::join(noted, ", "));
    out += fmt::format("Score: {}\n", score_text(r.score(), r.max_score()));
    return out;
}

}  // namespace ptv::lab
