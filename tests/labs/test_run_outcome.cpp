// How one run of `lab-tests run CASE` is read: exit status, result line,
// signal, time limit and sanitizer reports (labs/README.md).
#include <doctest/doctest.h>

#include <csignal>

#include "ptv/lab/grader/builder.hpp"
#include "ptv/lab/grader/printable.hpp"
#include "ptv/lab/grader/run_outcome.hpp"

using namespace ptv::lab;

namespace {
ProcessResult exited(int code, std::string out, std::string err = "") {
    ProcessResult r;
    r.exit_code = code;
    r.out = std::move(out);
    r.err = std::move(err);
    return r;
}
const std::string kPass =
    "hello\n\nPTV-LAB-RESULT {\"verdict\":\"pass\",\"message\":\"\",\"input\":\"add(2, 3)\","
    "\"measures\":{}}\n";
const std::string kFail =
    "\nPTV-LAB-RESULT {\"verdict\":\"fail\",\"message\":\"sum: got 1, expected 2\","
    "\"input\":\"\",\"measures\":{}}\n";
}  // namespace

TEST_CASE("run outcome: the exit status and the result line") {
    auto pass = classify_run(exited(0, kPass), 5);
    CHECK(pass.status == Status::Passed);
    CHECK(pass.input == "add(2, 3)");
    CHECK(pass.output == "hello\n\n");

    auto fail = classify_run(exited(1, kFail), 5);
    CHECK(fail.status == Status::Failed);
    CHECK(fail.message == "sum: got 1, expected 2");

    auto ni = classify_run(exited(3,
                                  "\nPTV-LAB-RESULT {\"verdict\":\"not-implemented\","
                                  "\"message\":\"not implemented: add\"}\n"),
                           5);
    CHECK(ni.status == Status::NotImplemented);
    CHECK(ni.message == "not implemented: add");

    auto kvm = classify_run(exited(4, "\nPTV-LAB-RESULT {\"verdict\":\"needs-kvm\"}\n"), 5);
    CHECK(kvm.needs_kvm);
    CHECK(kvm.status == Status::Failed);
}

TEST_CASE("run outcome: no result line, a signal or the time limit is never a pass") {
    auto silent = classify_run(exited(0, "all good, I promise\n"), 5);
    CHECK(silent.status == Status::Crashed);
    CHECK(silent.message == "exited with status 0 without a result line");

    ProcessResult segv;
    segv.signal = SIGSEGV;
    auto crashed = classify_run(segv, 5);
    CHECK(crashed.status == Status::Crashed);
    CHECK(crashed.message.starts_with("killed by signal 11 ("));

    ProcessResult late = exited(0, kPass);
    late.timed_out = true;
    auto timeout = classify_run(late, 2.5);
    CHECK(timeout.status == Status::Timeout);
    CHECK(timeout.message == "killed after the time limit of 2.5 s");

    auto odd = classify_run(exited(66, kPass), 5);
    CHECK(odd.status == Status::Crashed);
    CHECK(odd.message == "exited with status 66");
}

TEST_CASE("run outcome: a sanitizer report fails the run whatever the case said") {
    auto asan = classify_run(
        exited(0, kPass,
               "=================\n==4242==ERROR: AddressSanitizer: heap-buffer-overflow on "
               "address 0x6020000001c\nREAD of size 4\n"),
        5);
    CHECK(asan.status == Status::Sanitizer);
    CHECK(asan.message == "ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020000001c");
    CHECK(asan.output.find("READ of size 4") != std::string::npos);

    auto ubsan = classify_run(
        exited(1, "", "example.cpp:9:14: runtime error: signed integer overflow\n"), 5);
    CHECK(ubsan.status == Status::Sanitizer);
    CHECK(ubsan.message == "example.cpp:9:14: runtime error: signed integer overflow");

    CHECK(sanitizer_report_line("WARNING: ThreadSanitizer: data race (pid=7)\n") ==
          "WARNING: ThreadSanitizer: data race (pid=7)");
    CHECK(sanitizer_report_line("==1==ERROR: LeakSanitizer: detected memory leaks\n") ==
          "ERROR: LeakSanitizer: detected memory leaks");
    CHECK(sanitizer_report_line("an error: but not a sanitizer's\n").empty());
}

TEST_CASE("compiler output: the first line that reports an error") {
    CHECK(first_error_line("a.cpp: In function 'int f()':\na.cpp:3:5: error: 'x' was not "
                           "declared\na.cpp:4:1: error: second\n") ==
          "a.cpp:3:5: error: 'x' was not declared");
    CHECK(first_error_line("/usr/bin/ld: a.o: in function `main':\na.cpp:(.text+0x5): "
                           "undefined reference to `add(int, int)'\ncollect2: error: ld "
                           "returned 1 exit status\n") ==
          "a.cpp:(.text+0x5): undefined reference to `add(int, int)'");
    CHECK(first_error_line("something odd\n") == "something odd");
}

TEST_CASE("run outcome: what a test printed is made printable, valid UTF-8 kept") {
    // A guest's serial line with a control byte, an invalid byte, a lone
    // continuation byte, a truncated character and an overlong form around
    // valid text in two scripts.
    const std::string garbage =
        std::string("req 2: \x1b[2J b\xe9 ok \xe2\x82\xac \x80 \xe2\x82 \xc0\xaf") +
        " naïve\tend\n";
    auto run = exited(1, garbage + kFail, std::string("\x01\xff"));
    auto o = classify_run(run, 5);
    CHECK(o.status == Status::Failed);
    CHECK(o.output ==
          "req 2: \\x1b[2J b\\xe9 ok \xe2\x82\xac \\x80 \\xe2\\x82 \\xc0\\xaf "
          "naïve\tend\n\n\\x01\\xff");
    CHECK(printable("") == "");
    CHECK(printable("\xf0\x9f\x99\x82") == "\xf0\x9f\x99\x82");      // U+1F642, four bytes
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");           // a surrogate
    CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}
