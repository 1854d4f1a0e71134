// A GradeResult in the four formats the grader prints: text for a person,
// json for scripts, Gradescope's results.json and PrairieLearn's. Each
// carries the grader hash (grader_hash.hpp).
#pragma once

#include <string>

#include "ptv/lab/grader/result.hpp"

namespace ptv::lab {

enum class ReportFormat { Text, Json, Gradescope, PrairieLearn };

// "text", "json", "gradescope", "prairielearn"; throws ptv::UsageError.
ReportFormat parse_report_format(const std::string& name);

std::string report(const GradeResult& result, ReportFormat format);

// Each format, in its own file (report_*.cpp).
std::string report_text(const GradeResult& result);
std::string report_json(const GradeResult& result);
std::string report_gradescope(const GradeResult& result);
std::string report_prairielearn(const GradeResult& result);

// What one test says beyond its verdict, in lines: message, hint, input,
// reproduce command and (up to max_output_lines of) its output. Shared by
// the text report and the per-test "output" of the JSON formats.
std::string test_details(const TestResult& test, size_t max_output_lines);

// "N/M" with points printed the shortest way (2, 2.5).
std::string score_text(double score, double max_score);

}  // namespace ptv::lab
