#include "ptv/lab/grader/run_outcome.hpp"

#include "ptv/lab/grader/printable.hpp"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ptv::lab {

namespace {

constexpr const char* kResultPrefix = "PTV-LAB-RESULT ";

// Exit statuses of the harness protocol (ptv/lab/harness.hpp).
constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitNotImplemented = 3,
              kExitNeedsKvm = 4;

struct Split {
    std::string result_json;  // the last result line's JSON, if any
    std::string rest;         // everything else
};

Split split_result_line(const std::string& out) {
    Split s;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(kResultPrefix, 0) == 0) {
            s.result_json = line.substr(std::strlen(kResultPrefix));
            continue;
        }
        s.rest += line;
        s.rest += '\n';
    }
    return s;
}

std::string first_line(const std::string& text) {
    auto end = text.find('\n');
    return text.substr(0, end);
}

}  // namespace

std::string sanitizer_report_line(const std::string& text) {
    static const char* const markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "WARNING: ThreadSanitizer", "runtime error:"};
    size_t best = std::string::npos;
    for (const char* m : markers) best = std::min(best, text.find(m));
    if (best == std::string::npos) return "";
    size_t begin = text.rfind('\n', best);
    begin = begin == std::string::npos ? 0 : begin + 1;
    std::string line = first_line(text.substr(begin));
    // "==1234==ERROR: ..." -> "ERROR: ..."
    if (line.rfind("==", 0) == 0) {
        auto close = line.find("==", 2);
        if (close != std::string::npos) line = line.substr(close + 2);
    }
    return line;
}

namespace {

RunOutcome classify(const ProcessResult& run, double time_limit_s) {
    RunOutcome o;
    Split split = split_result_line(run.out);
    o.output = split.rest + run.err;
    nlohmann::json result;
    bool has_result = false;
    if (!split.result_json.empty()) {
        try {
            result = nlohmann::json::parse(split.result_json);
            has_result = result.is_object();
        } catch (const nlohmann::json::exception&) {
        }
    }
    if (has_result) {
        o.message = result.value("message", std::string());
        o.input = result.value("input", std::string());
    }
    std::string report = sanitizer_report_line(run.err);
    if (!report.empty()) {
        o.status = Status::Sanitizer;
        o.message = report;
        return o;
    }
    if (run.timed_out) {
        o.status = Status::Timeout;
        o.message = fmt::format("killed after the time limit of {} s", time_limit_s);
        return o;
    }
    if (run.signal != 0) {
        o.status = Status::Crashed;
        o.message = fmt::format("killed by signal {} ({})", run.signal, strsignal(run.signal));
        return o;
    }
    if (!has_result) {
        o.status = Status::Crashed;
        o.message = fmt::format("exited with status {} without a result line", run.exit_code);
        return o;
    }
    switch (run.exit_code) {
        case kExitPass:
            o.status = Status::Passed;
            break;
        case kExitFail:
            o.status = Status::Failed;
            break;
        case kExitNotImplemented:
            o.status = Status::NotImplemented;
            break;
        case kExitNeedsKvm:
            o.status = Status::Failed;
            o.needs_kvm = true;
            break;
        case kExitUsage:
            o.status = Status::Failed;
            o.message = "lab-tests did not accept the command: " + first_line(run.err);
            break;
        default:
            o.status = Status::Crashed;
            o.message = fmt::format("exited with status {}", run.exit_code);
    }
    return o;
}

}  // namespace

RunOutcome classify_run(const ProcessResult& run, double time_limit_s) {
    RunOutcome o = classify(run, time_limit_s);
    o.message = printable(o.message);
    o.input = printable(o.input);
    o.output = printable(o.output);
    return o;
}

}  // namespace ptv::lab
