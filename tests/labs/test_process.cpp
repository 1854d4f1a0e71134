// The grader's child processes: output captured, time limit enforced on
// the whole process group, nothing left running.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "ptv/lab/grader/process.hpp"

using ptv::lab::ProcessSpec;
using ptv::lab::run_process;

namespace {
// Gone, or a zombie about to be reaped by whoever adopted it.
bool process_gone(pid_t pid) {
    for (int i = 0; i < 100; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!stat || !std::getline(stat, line)) return true;
        auto close = line.rfind(')');
        if (close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z')
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}
}  // namespace

TEST_CASE("process: output, exit status and the environment") {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "echo out; echo err >&2; echo $PTV_X; exit 3"};
    spec.env = {{"PTV_X", "from the grader"}};
    auto r = run_process(spec);
    CHECK(r.out == "out\nfrom the grader\n");
    CHECK(r.err == "err\n");
    CHECK(r.exit_code == 3);
    CHECK(r.signal == 0);
    CHECK_FALSE(r.timed_out);
}

TEST_CASE("process: the time limit kills the whole process group") {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "sleep 30 & echo $!; wait"};
    spec.time_limit_s = 0.5;
    auto start = std::chrono::steady_clock::now();
    auto r = run_process(spec);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(r.timed_out);
    CHECK(r.signal == SIGKILL);
    CHECK(took < 5);
    pid_t grandchild = std::stoi(r.out);
    CHECK(process_gone(grandchild));
}

TEST_CASE("process: a child that exits while its own child holds the pipes is done") {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "sleep 30 & echo $!; exit 0"};
    spec.time_limit_s = 20;
    auto r = run_process(spec);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    CHECK(r.seconds < 5);
    CHECK(process_gone(std::stoi(r.out)));
}

TEST_CASE("process: output beyond the cap is read and dropped") {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x"};
    spec.output_cap = 1000;
    auto r = run_process(spec);
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == 1000);
}
