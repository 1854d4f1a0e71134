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
    if (show_output && !t.output.empty() && max_output_lines > 0) {
        std::istringstream in(t.output);
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
