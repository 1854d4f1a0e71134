// What one run of `lab-tests run CASE` came to, read from how it ended:
// its exit status (labs/README.md, "The harness protocol"), its last line
// `PTV-LAB-RESULT {...}`, a signal, the time limit, or a sanitizer's report
// on stderr, which fails the run whatever the case itself concluded.
#pragma once

#include <string>

#include "ptv/lab/grader/process.hpp"
#include "ptv/lab/grader/result.hpp"

namespace ptv::lab {

struct RunOutcome {
    Status status = Status::Crashed;
    bool needs_kvm = false;  // exit 4: the case wanted /dev/kvm and had none
    std::string message;
    std::string input;
    std::string output;  // what it printed, without the result line
};

// The first line of a sanitizer report in `text` (ASan, LSan, TSan, UBSan),
// without its "==PID==" prefix; empty when there is none.
std::string sanitizer_report_line(const std::string& text);

RunOutcome classify_run(const ProcessResult& run, double time_limit_s);

}  // namespace ptv::lab
