// The simulator's events for each model of the threads guest, worked by
// hand from sim/threads/sim/README.md; the guest's output read back; the
// order compared with the events of one tick in any order.
#include <doctest/doctest.h>

#include <stdexcept>

#include "ptv/common/error.hpp"
#include "ptv/threads/guest/compare.hpp"
#include "ptv/threads/guest/guest_model.hpp"
#include "ptv/threads/guest/report.hpp"
#include "ptv/threads/guest/timeline.hpp"
#include "ptv/threads/sim/workload.hpp"

using namespace ptv::threads::guest;
namespace ts = ptv::threads::sim;

namespace {

using E = EventKind;

std::vector<Event> predict(GuestModel m, int cpus, const std::string& spec, int* makespan) {
    const auto w = ts::parse_workload(spec);
    validate(m, w, cpus, 5);
    const auto r = ts::simulate(sim_config(m, cpus), w);
    *makespan = r.makespan;
    return predicted_events(w, r);
}

std::string usage_error(GuestModel m, const std::string& spec, int cpus, int tick_ms) {
    try {
        validate(m, ts::parse_workload(spec), cpus, tick_ms);
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "";
}

const std::string kWorkload = "c5 b2 c3, c4 b1";

}  // namespace

TEST_CASE("many-to-one: a block stops every thread, so the run is the sum of the bursts") {
    int makespan = 0;
    const auto e = predict(GuestModel::ManyToOne, 1, kWorkload, &makespan);
    CHECK(makespan == 15);
    CHECK(e == std::vector<Event>{{0, 0, E::Start, -1},
                                  {5, 0, E::Block, -1},
                                  {7, 0, E::Wake, -1},
                                  {10, 0, E::Done, -1},
                                  {10, 1, E::Start, -1},
                                  {14, 1, E::Block, -1},
                                  {15, 1, E::Done, -1}});
}

TEST_CASE("many-to-one-async: U1 runs through U0's reads, and a final block ends the thread") {
    int makespan = 0;
    const auto e = predict(GuestModel::ManyToOneAsync, 1, kWorkload, &makespan);
    CHECK(makespan == 12);
    CHECK(e == std::vector<Event>{{0, 0, E::Start, -1},
                                  {5, 0, E::Block, -1},
                                  {5, 1, E::Start, -1},
                                  {7, 0, E::Wake, -1},
                                  {9, 1, E::Block, -1},
                                  {10, 1, E::Done, -1},
                                  {12, 0, E::Done, -1}});
}

TEST_CASE("one-to-one on two vCPUs: each thread on its own, the run is the longest thread") {
    int makespan = 0;
    const auto e = predict(GuestModel::OneToOne, 2, kWorkload, &makespan);
    CHECK(makespan == 10);
    CHECK(e == std::vector<Event>{{0, 0, E::Start, -1},
                                  {0, 1, E::Start, -1},
                                  {4, 1, E::Block, -1},
                                  {5, 0, E::Block, -1},
                                  {5, 1, E::Done, -1},
                                  {7, 0, E::Wake, -1},
                                  {10, 0, E::Done, -1}});
}

TEST_CASE("the simulator's options and the guest's command line") {
    CHECK(sim_options(GuestModel::ManyToOne, 1) ==
          "--model many-to-one --cpus 1 --user-switch 0 --kernel-switch 0");
    CHECK(sim_options(GuestModel::ManyToOneAsync, 1) ==
          "--model activations --cpus 1 --user-switch 0 --kernel-switch 0 --upcall 0");
    CHECK(sim_options(GuestModel::OneToOne, 4) ==
          "--model one-to-one --cpus 4 --user-switch 0 --kernel-switch 0");
    CHECK(guest_cmdline(GuestModel::ManyToOneAsync, 5, ts::parse_workload("c5b2c3;c4 b1")) ==
          "async 5000 c5 b2 c3, c4 b1");
    CHECK(guest_cmdline(GuestModel::OneToOne, 10, ts::parse_workload("c1")) == "smp 10000 c1");
    CHECK(parse_guest_model("many-to-one-async") == GuestModel::ManyToOneAsync);
    CHECK(guest_word(GuestModel::ManyToOne) == "sync");
}

TEST_CASE("what the guest cannot run: one line each") {
    CHECK(usage_error(GuestModel::OneToOne, "c1", 0, 5) == "--cpus 0: give 1 to 8 vCPUs");
    CHECK(usage_error(GuestModel::OneToOne, "c1", 9, 5) == "--cpus 9: give 1 to 8 vCPUs");
    CHECK(usage_error(GuestModel::ManyToOneAsync, "c1", 2, 5) ==
          "--cpus 2: many-to-one-async runs every thread on one vCPU; leave --cpus out or use "
          "--model one-to-one");
    CHECK(usage_error(GuestModel::ManyToOne, "c1", 1, 0) == "--tick-ms 0: give 1 to 1000 ms");
    CHECK(usage_error(GuestModel::ManyToOne, "c1", 1, 1001) == "--tick-ms 1001: give 1 to 1000 ms");
    std::string many = "c1";
    for (int i = 0; i < 16; ++i) many += ", c1";
    CHECK(usage_error(GuestModel::ManyToOne, many, 1, 5) ==
          "--workload has 17 threads; the guest holds at most 16");
    std::string long_thread = "c1";
    for (int i = 0; i < 16; ++i) long_thread += " b1 c1";
    CHECK(usage_error(GuestModel::ManyToOne, long_thread, 1, 5) ==
          "--workload: thread U0 has 33 bursts; the guest holds at most 32 per thread");
    CHECK(usage_error(GuestModel::ManyToOne, "c5000, c5001", 1, 5) ==
          "--workload has 10001 ticks of bursts; give at most 10000 for a run on KVM");
    CHECK(usage_error(GuestModel::OneToOne, "c1, c1", 8, 1000).empty());
    CHECK_THROWS_AS(parse_guest_model("many-to-many"), ptv::UsageError);
}

TEST_CASE("the guest's output read back") {
    const auto g = parse_guest_output(
        "threads: async, tick 5000 us, 2 threads, cpus 1\n"
        "t=0 thread 0 start cpu 0\n"
        "t=25000 thread 0 block cpu 0\n"
        "t=25000 thread 1 start cpu 0\n"
        "t=35000 thread 0 wake cpu 0\n"
        "t=45000 thread 1 block cpu 0\n"
        "t=50000 thread 1 done cpu 0\n"
        "t=61000 thread 0 done cpu 0\n"
        "threads: async, 2 threads, total 61000 us, reads 3\n");
    CHECK(g.model == "async");
    CHECK(g.tick_us == 5000);
    CHECK(g.threads == 2);
    CHECK(g.cpus == 1);
    CHECK(g.total_us == 61000);
    CHECK(g.reads == 3);
    REQUIRE(g.events.size() == 7);
    CHECK(g.events[3] == Event{35000, 0, E::Wake, 0});
    const auto times = thread_times(g.events, 2, 5000);
    CHECK(times[0].start == 0);
    CHECK(times[0].done == doctest::Approx(12.2));
    CHECK(times[1].start == 5);
    CHECK(times[1].done == 10);
    int makespan = 0;
    CHECK(order_difference(predict(GuestModel::ManyToOneAsync, 1, kWorkload, &makespan),
                           g.events) == "");

    CHECK_THROWS_AS(parse_guest_output("threads: async, tick 5000 us, 2 threads, cpus 1\n"),
                    std::runtime_error);
    CHECK_THROWS_AS(parse_guest_output("threads: async, tick 5000 us, 2 threads, cpus 1\n"
                                       "t=0 thread 0 jump cpu 0\n"
                                       "threads: async, 2 threads, total 1 us, reads 0\n"),
                    std::runtime_error);
}

TEST_CASE("the order: one tick's events in any order, but never across ticks") {
    int makespan = 0;
    const auto p = predict(GuestModel::OneToOne, 2, kWorkload, &makespan);
    auto m = p;
    CHECK(order_difference(p, m) == "");
    std::swap(m[0], m[1]);  // U0 and U1 both start at tick 0
    CHECK(order_difference(p, m) == "");
    m = p;
    std::swap(m[2], m[3]);  // U1 blocks at 4, U0 at 5
    CHECK(order_difference(p, m) ==
          "event 3 of the guest is U0 block; the simulator has U1 block "
          "at tick 4");
    m = p;
    m.pop_back();
    CHECK(order_difference(p, m) ==
          "the guest's events end after 6; the simulator has U0 done next (tick 10)");
    m = p;
    m.push_back({11, 1, E::Wake, 0});
    CHECK(order_difference(p, m) == "the guest has 8 events, the simulator 7");
}

TEST_CASE("the comparison as ptv threads kvm prints it") {
    const auto w = ts::parse_workload(kWorkload);
    const RunSetup setup{GuestModel::ManyToOneAsync, 1, 5, "event", w};
    const auto r = ts::simulate(sim_config(setup.model, 1), w);
    auto g = parse_guest_output(
        "threads: async, tick 5000 us, 2 threads, cpus 1\n"
        "t=0 thread 0 start cpu 0\n"
        "t=25000 thread 0 block cpu 0\n"
        "t=25000 thread 1 start cpu 0\n"
        "t=35000 thread 0 wake cpu 0\n"
        "t=45000 thread 1 block cpu 0\n"
        "t=50000 thread 1 done cpu 0\n"
        "t=61000 thread 0 done cpu 0\n"
        "threads: async, 2 threads, total 61000 us, reads 3\n");
    CHECK(render_comparison(setup, r, g) ==
          "ptv threads kvm: many-to-one-async, 1 vCPU, tick 5 ms, dispatch event\n"
          "workload: c5 b2 c3, c4 b1\n"
          "simulator: ptv threads sim --model activations --cpus 1 --user-switch 0 "
          "--kernel-switch 0 --upcall 0 --workload \"c5 b2 c3, c4 b1\" -c\n"
          "\n"
          "thread    start (KVM)  start (sim)   done (KVM)   done (sim)\n"
          "U0               0.00         0.00        12.20        12.00\n"
          "U1               5.00         5.00        10.00        10.00\n"
          "\n"
          "total: 12.20 ticks (61.0 ms) on KVM, 12 ticks simulated: measured/predicted 1.02\n"
          "order of events: the simulator's (7 events)\n"
          "reads: 3 (one per block tick: 3)\n");
    std::swap(g.events[4], g.events[5]);
    CHECK(render_comparison(setup, r, g)
              .find("order of events: not the simulator's: event 5 of the guest is U1 done; the "
                    "simulator has U1 block at tick 9\n") != std::string::npos);
}
