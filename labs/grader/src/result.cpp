#include "ptv/lab/grader/result.hpp"

namespace ptv::lab {

const char* status_name(Status s) {
    switch (s) {
        case Status::Passed:
            return "passed";
        case Status::Failed:
            return "failed";
        case Status::NotImplemented:
            return "not-implemented";
        case Status::Timeout:
            return "timeout";
        case Status::Crashed:
            return "crashed";
        case Status::Sanitizer:
            return "sanitizer";
        case Status::CompileError:
            return "compile-error";
        case Status::Informational:
            return "informational";
    }
    return "?";
}

double GradeResult::score() const {
    double total = 0;
    for (const auto& t : tests) total += t.points;
    return total;
}

double GradeResult::max_score() const {
    double total = 0;
    for (const auto& t : tests) total += t.max_points;
    return total;
}

}  // namespace ptv::lab
