#include "ptv/lab/grader/report.hpp"

#include <fmt/format.h>

#include <sstream>

#include "ptv/common/error.hpp"

namespace ptv::lab {

ReportFormat parse_report_format(const std::string& name) {
    if (name == "text") return ReportFormat::Text;
    if (name == "json") return ReportFormat::Json;
    if (name == "gradescope") return ReportFormat::Gradescope;
    if (name == "prairielearn") return ReportFormat::PrairieLearn;
    throw UsageError(
        fmt::format("unknown format '{}'; use text, json, gradescope or prairielearn", name));
}

std::string report(const GradeResult& result, ReportFormat format) {
    switch (format) {
        case ReportFormat::Text:
            return report_text(result);
        case ReportFormat::Json:
            return report_json(result);
        case ReportFormat::Gradescope:
            return report_gradescope(result);
        case ReportFormat::PrairieLearn:
            return report_prairielearn(result);
    }
    return "";
}

std::string score_text(double score, double max_score) {
    return fmt::format("{}/{}", score, max_score);
}

std::string test_details(const TestResult& t, size_t max_output_lines) {
    std::string out;
    if (!t.message.empty()) out += t.message + "\n";
    if (!t.hint.empty()) out += "hint: " + t.hint + "\n";
    if (!t.input.empty()) out += "input: " + t.input + "\n";
    if (!t.reproduce.empty()) out += "reproduce: " + t.reproduce + "\n";
    bool show_output = t.status == Status::Sanitizer || t.status == Status::Crashed ||
                       t.status == Status::CompileError || t.status == Status::Failed ||
                       t.status == Status::Timeout;
    // Blank lines around what a case printed say nothing.
    auto first = t.output.find_first_not_of(" \t\n");
    if (show_output && first != std::string::npos && max_output_lines > 0) {
        auto last = t.output.find_last_not_of(" \t\n");
        auto begin = t.output.rfind('\n', first);
        begin = begin == std::string::npos ? 0 : begin + 1;
        std::istringstream in(t.output.substr(begin, last + 1 - begin));
        std::string line;
        size_t n = 0, total = 0;
        std::string shown;
        while (std::getline(in, line)) {
            if (n < max_output_lines) {
                shown += "| " + line + "\n";
                ++n;
            }
            ++total;
        }
        if (total > 0) {
            out += "output:\n" + shown;
            if (total > n) out += fmt::format("| ... ({} more lines)\n", total - n);
        }
    }
    return out;
}

}  // namespace ptv::lab
