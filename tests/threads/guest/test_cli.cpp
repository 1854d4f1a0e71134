// `ptv threads kvm` with input it cannot run: one line naming the mistake,
// exit status 2, before KVM is opened: ptv checks its own options before it
// starts a worker, the worker its dispatch strategy before it opens /dev/kvm
// (so this runs where /dev/kvm is missing too).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "process.hpp"

using ptv::test::bin;
using ptv::test::run;

namespace {

void check_usage_error(const std::vector<std::string>& args, const std::string& line) {
    std::vector<std::string> argv{bin("ptv"), "threads", "kvm"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(argv, {}, 30);
    CAPTURE(args);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "ptv: " + line + "\n");
}

}  // namespace

TEST_CASE("ptv threads kvm: bad input is one line and status 2, checked before KVM") {
    check_usage_error({"--model", "many-to-many", "--workload", "c1"},
                      "--model many-to-many: give many-to-one, many-to-one-async or one-to-one");
    check_usage_error({"--model", "one-to-one", "--workload", "c1", "--cpus", "0"},
                      "--cpus 0: give 1 to 8 vCPUs");
    check_usage_error({"--model", "one-to-one", "--workload", "c1", "--cpus", "99"},
                      "--cpus 99: give 1 to 8 vCPUs");
    check_usage_error({"--model", "many-to-one", "--workload", "c1", "--cpus", "2"},
                      "--cpus 2: many-to-one runs every thread on one vCPU; leave --cpus out or "
                      "use --model one-to-one");
    check_usage_error({"--model", "many-to-one", "--workload", "c1", "--tick-ms", "0"},
                      "--tick-ms 0: give 1 to 1000 ms");
    check_usage_error({"--model", "many-to-one-async", "--workload", "b1"},
                      "--workload: thread 0: starts with the block 'b1'; a thread must compute "
                      "before its first system call (start with cN)");
    check_usage_error({"--model", "many-to-one-async", "--workload", "c1 x2"},
                      "--workload: thread 0: 'x2' is not a burst; write cN (compute N ticks) or "
                      "bN (block in a system call N ticks)");
    // The dispatch strategy is the worker's to check, before it opens KVM.
    check_usage_error({"--model", "many-to-one", "--workload", "c1", "--dispatch", "bogus"},
                      "unknown dispatch strategy 'bogus': use inline, pool:N (N worker threads, 1 "
                      "to 64) or event");
    check_usage_error({"--model", "many-to-one", "--workload", "c9000, c1001"},
                      "--workload has 10001 ticks of bursts; give at most 10000 for a run on KVM");
}
