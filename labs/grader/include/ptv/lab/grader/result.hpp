// What grading a submission found, before it is printed in any format:
// one entry per test (and one informational entry per KVM test that could
// not use /dev/kvm), each with its points and status. The reports
// (report.hpp) only format this.
#pragma once

#include <string>
#include <vector>

namespace ptv::lab {

enum class Status {
    Passed,
    Failed,
    NotImplemented,
    Timeout,
    Crashed,
    Sanitizer,
    CompileError,
    Informational,
};

// "passed", "failed", "not-implemented", "timeout", "crashed", "sanitizer",
// "compile-error", "informational".
const char* status_name(Status s);

struct TestResult {
    std::string name;
    std::string part;
    std::string number;  // "2.3": part 2, test 3
    double points = 0;
    double max_points = 0;
    Status status = Status::Passed;
    bool hidden = false;
    std::string message;    // the case's message (failed), or what went wrong
    std::string hint;       // lab.json's hint, shown when it did not pass
    std::string input;      // the generated input (hidden: only with --reveal)
    std::string reproduce;  // the command that reruns it (hidden: only with --reveal)
    std::string output;     // what the program printed (capped), sanitizer report included
    double seconds = 0;
};

struct GradeResult {
    std::string lab;
    std::string title;
    std::string grader_hash;  // "0x" + 16 hex digits (grader_hash.hpp)
    bool revealed = false;
    std::vector<TestResult> tests;
    double seconds = 0;

    double score() const;
    double max_score() const;
};

}  // namespace ptv::lab
