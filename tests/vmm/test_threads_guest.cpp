// The threads guest (guests/threads/) on the CPU model, which serves every
// PV disk read inside its doorbell's exit: no read ever waits, so the times
// say nothing, but the order of the threads' events and every count are
// exact. The guest's FIFO run queue decides the order: under `sync` a read
// never leaves its thread; under `async` a thread that blocks goes to the
// back of the run queue even though its reads are already done.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "guests.hpp"

using namespace ptv;

namespace {

// The serial lines without their "t=<us> " times.
std::vector<std::string> events(const std::string& serial) {
    std::vector<std::string> out;
    std::istringstream in(serial);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("t=")) out.push_back(line.substr(line.find(' ') + 1));
    return out;
}

std::string last_line(const std::string& serial) {
    std::string s = serial;
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s.substr(s.rfind('\n') + 1);
}

// Exits of a run with R reads: the three PV pages handed over once, the
// queue plus one doorbell per read, the UART's init and two per byte.
std::map<std::string, uint64_t> exits_for(uint64_t reads, const std::string& serial) {
    return {{"event-channel", 1},
            {"pv-clock", 1},
            {"pv-disk", 1 + reads},
            {"uart", 7 + 2 * serial.size()},
            {"debug-exit", 1}};
}

const std::string kWorkload = "c2 b3 c1, c1 b1 c1 b1 c1, c3";

}  // namespace

TEST_CASE("threads guest, sync: a read holds the vCPU, each thread runs to its end in turn") {
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto r = test::run_model("threads", t, "sync 10000 " + kWorkload);
        CHECK(r.outcome == "guest-exit");
        CHECK(r.status == 0);
        CHECK(r.output.starts_with("threads: sync, tick 10000 us, 3 threads, cpus 1\n"));
        CHECK(events(r.output) ==
              std::vector<std::string>{
                  "thread 0 start cpu 0", "thread 0 block cpu 0", "thread 0 wake cpu 0",
                  "thread 0 done cpu 0", "thread 1 start cpu 0", "thread 1 block cpu 0",
                  "thread 1 wake cpu 0", "thread 1 block cpu 0", "thread 1 wake cpu 0",
                  "thread 1 done cpu 0", "thread 2 start cpu 0", "thread 2 done cpu 0"});
        CHECK(last_line(r.output).starts_with("threads: sync, 3 threads, total "));
        CHECK(last_line(r.output).ends_with(" us, reads 5"));
        CHECK(r.completions == 5);
        CHECK(r.device_exits == exits_for(5, r.output));
    }
}

TEST_CASE("threads guest, async: a blocked thread goes to the back of the run queue") {
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto r = test::run_model("threads", t, "async 10000 " + kWorkload);
        CHECK(r.outcome == "guest-exit");
        CHECK(r.status == 0);
        CHECK(r.output.starts_with("threads: async, tick 10000 us, 3 threads, cpus 1\n"));
        // U0 blocks; U1 starts, and its first poll finds U0's three reads
        // done (each completion started the next); U1 blocks behind U2,
        // which runs to its end; then U0, then U1's last two bursts.
        CHECK(events(r.output) ==
              std::vector<std::string>{
                  "thread 0 start cpu 0", "thread 0 block cpu 0", "thread 1 start cpu 0",
                  "thread 0 wake cpu 0", "thread 1 block cpu 0", "thread 1 wake cpu 0",
                  "thread 2 start cpu 0", "thread 2 done cpu 0", "thread 0 done cpu 0",
                  "thread 1 block cpu 0", "thread 1 wake cpu 0", "thread 1 done cpu 0"});
        CHECK(last_line(r.output).ends_with(" us, reads 5"));
        CHECK(r.completions == 5);
        CHECK(r.device_exits == exits_for(5, r.output));
        // Every event was pending before the scheduler would halt: no HLT.
        if (t == "vmx") CHECK_FALSE(r.counters.exits.count("HLT"));
    }
}

TEST_CASE("threads guest: a last burst that blocks ends the thread when its reads are done") {
    const auto r = test::run_model("threads", "vmx", "async 10000 c5 b2 c3, c4 b1");
    CHECK(r.status == 0);
    CHECK(events(r.output) ==
          std::vector<std::string>{"thread 0 start cpu 0", "thread 0 block cpu 0",
                                   "thread 1 start cpu 0", "thread 0 wake cpu 0",
                                   "thread 1 block cpu 0", "thread 1 done cpu 0",
                                   "thread 0 done cpu 0"});
    CHECK(r.device_exits == exits_for(3, r.output));
    // One-to-one on the model's one CPU: every thread on vCPU 0, scheduled
    // as async is.
    const auto smp = test::run_model("threads", "vmx", "smp 10000 c5 b2 c3, c4 b1");
    CHECK(smp.output.starts_with("threads: smp, tick 10000 us, 2 threads, cpus 1\n"));
    CHECK(events(smp.output) == events(r.output));
}

TEST_CASE("threads guest: words before the model are skipped, and no reads means no doorbells") {
    const auto r =
        test::run_model("threads", "native", "build/guests/threads.bin async 1000 c1;c1");
    CHECK(r.status == 0);
    CHECK(events(r.output) ==
          std::vector<std::string>{"thread 0 start cpu 0", "thread 0 done cpu 0",
                                   "thread 1 start cpu 0", "thread 1 done cpu 0"});
    CHECK(last_line(r.output).ends_with(" us, reads 0"));
    CHECK(r.device_exits == exits_for(0, r.output));
}

TEST_CASE("threads guest: a command line it cannot run is one line and status 3") {
    const std::string usage =
        "threads: give MODEL TICK_US WORKLOAD: MODEL sync, async or smp, TICK_US 100 to "
        "1000000, WORKLOAD as ptv threads sim's, at most 16 threads of 32 bursts\n";
    for (const std::string cmdline :
         {"", "sync", "fast 1000 c1", "sync 50 c1", "sync 1000", "async 1000 b1",
          "async 1000 c1 b1 b1", "async 1000 c1,", "async 1000 c0", "async 1000 c1 x2",
          "async 1000 c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1,c1"}) {
        CAPTURE(cmdline);
        const auto r = test::run_model("threads", "native", cmdline);
        CHECK(r.outcome == "guest-failure");
        CHECK(r.output == usage);
        CHECK(r.device_exits ==
              std::map<std::string, uint64_t>{{"uart", 7 + 2 * usage.size()}, {"debug-exit", 1}});
    }
}

TEST_CASE("uthreads guest: yield passes the CPU in run-queue order, a blocking read switches") {
    const std::string expected =
        "uthreads: thread 0 step 0\n"
        "uthreads: thread 1 step 0\n"
        "uthreads: thread 0 step 1\n"
        "uthreads: thread 1 step 1\n"
        "uthreads: thread 2 read lba 100 ok\n"
        "uthreads: thread 0 step 2\n"
        "uthreads: thread 1 step 2\n"
        "uthreads: thread 2 read lba 101 ok\n"
        "uthreads: thread 2 read lba 102 ok\n"
        "uthreads: 3 threads done, 3 reads\n";
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto r = test::run_model("uthreads", t);
        CHECK(r.outcome == "guest-exit");
        CHECK(r.status == 0);
        CHECK(r.output == expected);
        CHECK(r.completions == 3);
        CHECK(r.device_exits == std::map<std::string, uint64_t>{{"event-channel", 1},
                                                                {"pv-disk", 1 + 3},
                                                                {"uart", 7 + 2 * expected.size()},
                                                                {"debug-exit", 1}});
        if (t == "vmx") CHECK_FALSE(r.counters.exits.count("HLT"));
    }
}
