// The threads guest on real KVM (`ptv threads kvm`): user-level threads
// many-to-one with blocking reads (the whole VM waits), with asynchronous
// reads (another thread runs meanwhile), and one-to-one on two vCPUs. Each
// disk read takes a tick (--disk-latency), each compute tick the work the
// guest calibrated against the PV clock. The guest's order of events must
// be the simulator's (events of one simulated tick in any order), and its
// total time near the simulator's makespan: the host is shared, so the
// band is wide. The workloads keep events of different ticks two ticks
// apart wherever two clocks (a thread's work, the disk, another vCPU) race.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

const std::string kWorkload = "c5 b2 c3, c4 b1";

struct Compared {
    Completed process;
    std::string order;  // the "order of events: ..." line
    double ratio = 0;   // measured/predicted
    int predicted = 0;  // the simulator's makespan in ticks
    std::string reads;  // the "reads: ..." line
};

std::string line_starting(const std::string& text, const std::string& prefix) {
    const auto at = text.find("\n" + prefix);
    if (at == std::string::npos) return "";
    const auto end = text.find('\n', at + 1);
    return text.substr(at + 1, end - at - 1);
}

Compared threads_kvm(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {bin("ptv"), "threads", "kvm", "--tick-ms", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    Compared c;
    c.process = run(argv, {}, 120);
    c.order = line_starting(c.process.out, "order of events: ");
    c.reads = line_starting(c.process.out, "reads: ");
    const std::string total = line_starting(c.process.out, "total: ");
    const auto at = total.find("ticks simulated");
    if (at != std::string::npos) {
        std::sscanf(total.c_str() + total.rfind(',', at) + 2, "%d", &c.predicted);
        std::sscanf(total.c_str() + total.find("measured/predicted ") + 19, "%lf", &c.ratio);
    }
    return c;
}

void check_against_simulator(const Compared& c, int makespan, int reads = 3) {
    INFO("stdout: " << c.process.out);
    INFO("stderr: " << c.process.err);
    CHECK(c.process.status == 0);
    CHECK(c.order.starts_with("order of events: the simulator's"));
    CHECK(c.predicted == makespan);
    CHECK(c.ratio >= 0.8);
    CHECK(c.ratio <= 2.0);
    CHECK(c.reads == "reads: " + std::to_string(reads) +
                         " (one per block tick: " + std::to_string(reads) + ")");
}

}  // namespace

TEST_CASE("threads guest many-to-one: a read stops every thread, the run is the sum (15 ticks)") {
    check_against_simulator(threads_kvm({"--model", "many-to-one", "--workload", kWorkload}), 15);
}

TEST_CASE("threads guest many-to-one-async: U1 computes through U0's reads (12 ticks)") {
    check_against_simulator(threads_kvm({"--model", "many-to-one-async", "--workload", kWorkload}),
                            12);
}

TEST_CASE("threads guest one-to-one on two vCPUs: the longest thread (11 ticks)") {
    // U1 on vCPU 1 is done at tick 4, U0 on vCPU 0 blocks at 6: two ticks
    // apart, so a vCPU slower than the one that calibrated keeps the order.
    check_against_simulator(
        threads_kvm({"--model", "one-to-one", "--cpus", "2", "--workload", "c6 b2 c3, c3 b1"}), 11);
}

TEST_CASE("threads guest: two compute threads on two vCPUs take half the time of one vCPU") {
    const auto one = threads_kvm({"--model", "one-to-one", "--cpus", "1", "--workload", "c8, c8"});
    const auto two = threads_kvm({"--model", "one-to-one", "--cpus", "2", "--workload", "c8, c8"});
    check_against_simulator(one, 16, 0);
    check_against_simulator(two, 8, 0);
    // Measured, not only predicted: the two vCPUs really ran at once.
    CHECK(two.ratio * 8 < 0.7 * one.ratio * 16);
}

TEST_CASE("threads guest: its exits, through ptv kvm run") {
    // Three PV pages handed over once; one doorbell per read, which is an
    // exit unless the host took it as an ioeventfd.
    auto r = ptv_run({"threads", "--cmdline", "async 5000 " + kWorkload, "--dispatch", "event",
                      "--disk-latency", "5", "--timeout", "60"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "guest-exit");
    const std::string serial = r.result["serial"];
    CHECK(serial.starts_with("threads: async, tick 5000 us, 2 threads, cpus 1\n"));
    CHECK(serial.find("us, reads 3\n") != std::string::npos);
    CHECK(r.by_device("event-channel") == 1);
    CHECK(r.by_device("pv-clock") == 1);
    CHECK(r.by_device("debug-exit") == 1);
    const auto& io = r.result["io"];
    CHECK(io["pv_disk"]["requests"] == 3);
    CHECK(io["pv_disk"]["completions"] == 3);
    CHECK(io["event_channel"]["posts"] == 3);
    CHECK(r.by_device("pv-disk") == (io["ioeventfd"] == true ? 1u : 4u));
}
