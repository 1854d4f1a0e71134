// Hand-computed workloads, two or more per model, with exact answers. Each
// schedule is worked out by hand in the comment above its test, from the
// rules in sim/threads/sim/README.md, before the assertions.
#include <doctest/doctest.h>

#include "ptv/threads/sim/report.hpp"
#include "ptv/threads/sim/simulator.hpp"

using namespace ptv::threads::sim;

namespace {

Result run(Model m, const char* spec, int cpus, int lwps = 0, Costs costs = {}, int quantum = 0) {
    Config cfg;
    cfg.model = m;
    cfg.cpus = cpus;
    cfg.lwps = lwps;
    cfg.costs = costs;
    cfg.quantum = quantum;
    return simulate(cfg, parse_workload(spec));
}

std::string cpu(const Result& r, int c, int t) {
    return cpu_cell(r.cpus[size_t(c)].at(t));
}
State th(const Result& r, int i, int t) {
    return r.threads[size_t(i)].at(t).state;
}

// The lecture's example: one thread blocks in a system call for 10 ticks.
constexpr const char* kA = "c5 b10 c3, c4, c2 b2 c2";

}  // namespace

// many-to-one, kA, 1 CPU, default costs (user 0, kernel 1, upcall 1).
//   t0-4   U0 computes c5
//   t5-14  U0 blocks: the one kernel entity blocks, so U1 and U2 wait READY
//          and the CPU is idle (Fig. 3-2 left: a blocking call blocks them all)
//   t15-17 U0 computes c3; DONE at 18
//   t18-21 U1 (user switch, 0 ticks); DONE at 22
//   t22-23 U2 c2; t24-25 U2 blocks (CPU idle); t26-27 c2; DONE at 28
//   compute 16, idle 12, utilisation 16 / (1 x 28) = 57.1%
TEST_CASE("many-to-one: a blocking call blocks every thread") {
    Result r = run(Model::ManyToOne, kA, 1);
    CHECK(r.finish == std::vector<int>{18, 22, 28});
    CHECK(r.makespan == 28);
    CHECK(r.compute_ticks == 16);
    CHECK(r.idle_ticks == 12);
    CHECK(r.switch_ticks == 0);
    CHECK(r.utilisation == doctest::Approx(16.0 / 28));
    CHECK(cpu(r, 0, 4) == "U0");
    CHECK(cpu(r, 0, 5) == "idle");
    CHECK(th(r, 0, 5) == State::Blocked);
    CHECK(th(r, 1, 5) == State::Ready);
    CHECK(th(r, 2, 14) == State::Ready);
    CHECK(cpu(r, 0, 15) == "U0");
    CHECK(cpu(r, 0, 18) == "U1");
    CHECK(cpu(r, 0, 24) == "idle");
    CHECK(th(r, 0, 20) == State::Done);
}

// many-to-one, "c3, c2", 2 CPUs, user switch 2 ticks.
//   t0-2 U0 on CPU0; DONE at 3
//   t3-4 CPU0 switches to U1 (user switch, 2 ticks)
//   t5-6 U1; DONE at 7
//   CPU1 is idle throughout: one kernel entity uses one CPU at a time.
//   compute 5, switch 2, idle 0 + 7 = 7 (CPU0 + CPU1), utilisation 5 / (2 x 7) = 35.7%
TEST_CASE("many-to-one: one kernel entity uses one CPU and pays user switches") {
    Result r = run(Model::ManyToOne, "c3, c2", 2, 0, Costs{2, 1, 1});
    CHECK(r.finish == std::vector<int>{3, 7});
    CHECK(r.makespan == 7);
    CHECK(r.switch_ticks == 2);
    CHECK(r.switches == 1);
    CHECK(r.idle_ticks == 7);
    CHECK(r.utilisation == doctest::Approx(5.0 / 14));
    CHECK(cpu(r, 0, 3) == "switch");
    CHECK(cpu(r, 0, 4) == "switch");
    CHECK(th(r, 1, 4) == State::Ready);
    CHECK(cpu(r, 0, 5) == "U1");
    for (int t = 0; t < 7; ++t) CHECK(cpu(r, 1, t) == "idle");
}

// one-to-one, kA, 1 CPU, kernel switch 1.
//   t0-4   K0 (U0) computes; t5 U0 blocks until 15
//   t5     kernel switch to K1; t6-9 U1; DONE at 10
//   t10    kernel switch to K2; t11-12 U2; t13 U2 blocks until 15
//   t13-14 idle
//   t15    both unblock; queue K0, K2 (thread order); switch to K0
//   t16-18 U0; DONE at 19
//   t19    switch to K2; t20-21 U2; DONE at 22
//   compute 16, switch 4, idle 2, utilisation 16/22 = 72.7%
TEST_CASE("one-to-one: blocking overlaps, kernel switches are paid") {
    Result r = run(Model::OneToOne, kA, 1);
    CHECK(r.finish == std::vector<int>{19, 10, 22});
    CHECK(r.makespan == 22);
    CHECK(r.compute_ticks == 16);
    CHECK(r.switch_ticks == 4);
    CHECK(r.switches == 4);
    CHECK(r.idle_ticks == 2);
    CHECK(r.utilisation == doctest::Approx(16.0 / 22));
    CHECK(cpu(r, 0, 5) == "switch");
    CHECK(cpu(r, 0, 6) == "U1");
    CHECK(th(r, 0, 6) == State::Blocked);
    CHECK(cpu(r, 0, 10) == "switch");
    CHECK(cpu(r, 0, 13) == "idle");
    CHECK(cpu(r, 0, 15) == "switch");
    CHECK(th(r, 2, 15) == State::Ready);
    CHECK(cpu(r, 0, 16) == "U0");
    CHECK(cpu(r, 0, 19) == "switch");
    CHECK(cpu(r, 0, 21) == "U2");
}

// one-to-one, kA, 2 CPUs.
//   t0-4 CPU0 runs U0; t0-3 CPU1 runs U1 (DONE at 4)
//   t4   CPU1 switches to K2; t5-6 U2; t7 U2 blocks until 9 (CPU1 idle t7-8)
//   t5   U0 blocks until 15 (CPU0 idle t5-8)
//   t9   U2 ready; lowest idle CPU is CPU0 (last ran K0): switch; t10-11 U2;
//        DONE at 12
//   t15  U0 ready; CPU0 (last ran K2): switch; t16-18 U0; DONE at 19
//   compute 16, switch 3, utilisation 16 / (2 x 19) = 42.1%
TEST_CASE("one-to-one: two CPUs, lowest idle CPU first") {
    Result r = run(Model::OneToOne, kA, 2);
    CHECK(r.finish == std::vector<int>{19, 4, 12});
    CHECK(r.makespan == 19);
    CHECK(r.switch_ticks == 3);
    CHECK(r.idle_ticks == 2 * 19 - 16 - 3);
    CHECK(r.utilisation == doctest::Approx(16.0 / 38));
    CHECK(cpu(r, 1, 4) == "switch");
    CHECK(cpu(r, 1, 5) == "U2");
    CHECK(cpu(r, 0, 9) == "switch");
    CHECK(cpu(r, 0, 10) == "U2");
    CHECK(cpu(r, 1, 10) == "idle");
    CHECK(cpu(r, 0, 16) == "U0");
}

// one-to-one, "c4, c2", 1 CPU, quantum 2, kernel switch 1.
//   t0-1 U0; t2 quantum expires and K1 is ready: K0 to the back; switch
//   t3-4 U1; DONE at 5
//   t5   switch to K0; t6-7 U0; DONE at 8 (t8: the queue is empty, no preemption)
TEST_CASE("one-to-one: kernel round robin with a quantum") {
    Result r = run(Model::OneToOne, "c4, c2", 1, 0, Costs{}, 2);
    CHECK(r.finish == std::vector<int>{8, 5});
    CHECK(r.switch_ticks == 2);
    CHECK(cpu(r, 0, 1) == "U0");
    CHECK(cpu(r, 0, 2) == "switch");
    CHECK(th(r, 0, 2) == State::Ready);
    CHECK(cpu(r, 0, 3) == "U1");
    CHECK(cpu(r, 0, 6) == "U0");
}

// many-to-many, kA, K=2 LWPs, 1 CPU.
//   t0   L0 takes U0, L1 takes U1; U2 waits in the user-level ready queue
//   t0-4 L0/U0; t5 U0 blocks until 15 and L0 blocks with it (Fig. 3-2)
//   t5   kernel switch to L1; t6-9 U1; DONE at 10
//   t10  L1 takes U2 (user switch, 0 ticks); t10-11 U2; t12 U2 blocks until
//        14 with L1; CPU idle t12-13
//   t14  L1 ready; CPU0 last ran L1: no switch; t14-15 U2; DONE at 16
//   t15  U0 unblocks, L0 waits for the CPU
//   t16  switch to L0; t17-19 U0; DONE at 20
//   compute 16, switch 2, idle 2, utilisation 16/20 = 80%
TEST_CASE("many-to-many: an LWP blocks with its thread") {
    Result r = run(Model::ManyToMany, kA, 1, 2);
    CHECK(r.finish == std::vector<int>{20, 10, 16});
    CHECK(r.makespan == 20);
    CHECK(r.switch_ticks == 2);
    CHECK(r.idle_ticks == 2);
    CHECK(r.utilisation == doctest::Approx(0.8));
    CHECK(lwp_cell(r.lwps[0].at(5)) == "BLOCK U0");
    CHECK(lwp_cell(r.lwps[1].at(5)) == "RUN U1");
    CHECK(cpu(r, 0, 5) == "switch");
    CHECK(cpu(r, 0, 10) == "U2");
    CHECK(lwp_cell(r.lwps[1].at(12)) == "BLOCK U2");
    CHECK(cpu(r, 0, 12) == "idle");
    CHECK(lwp_cell(r.lwps[0].at(15)) == "READY U0");
    CHECK(cpu(r, 0, 16) == "switch");
    CHECK(lwp_cell(r.lwps[1].at(17)) == "idle");
}

// many-to-many, "c1 b4 c1, c4, c2", K=2 LWPs, 2 CPUs.
//   t0   L0/U0 on CPU0, L1/U1 on CPU1; U2 READY with no LWP
//   t1   U0 blocks until 5 with L0: CPU0 is idle t1-4 although U2 is READY
//        (another user thread runs only if another LWP is free)
//   t4   U1 DONE; L1 takes U2 on CPU1 (user switch 0); t4-5 U2; DONE at 6
//   t5   U0 ready; CPU0 last ran L0: no switch; t5 U0; DONE at 6
//   compute 8, idle 4, utilisation 8 / (2 x 6) = 66.7%
TEST_CASE("many-to-many: a READY thread waits for a free LWP") {
    Result r = run(Model::ManyToMany, "c1 b4 c1, c4, c2", 2, 2);
    CHECK(r.finish == std::vector<int>{6, 4, 6});
    CHECK(r.makespan == 6);
    CHECK(r.idle_ticks == 4);
    CHECK(r.switch_ticks == 0);
    CHECK(r.utilisation == doctest::Approx(8.0 / 12));
    CHECK(cpu(r, 0, 2) == "idle");
    CHECK(th(r, 2, 2) == State::Ready);
    CHECK(lwp_cell(r.lwps[0].at(2)) == "BLOCK U0");
    CHECK(cpu(r, 1, 4) == "U2");
    CHECK(lwp_cell(r.lwps[1].at(4)) == "RUN U2");
    CHECK(cpu(r, 0, 5) == "U0");
}

// activations, kA, 1 CPU, upcall 1, user switch 0.
//   t0-4 U0; t5 U0 blocks until 15: upcall (t5) hands the CPU back to the
//        user scheduler (Anderson et al. 1992)
//   t6-9 U1; DONE at 10
//   t10-11 U2; t12 U2 blocks until 14: upcall t12; t13 idle
//   t14  U2 unblocks: upcall t14 on the idle CPU; U2 READY at 15
//   t15  U0 unblocks: its upcall goes before ready threads: upcall t15
//   t16-17 U2 (head of the ready queue); DONE at 18
//   t18-20 U0; DONE at 21
//   compute 16, upcall 4 (4 upcalls), idle 1, utilisation 16/21 = 76.2%
TEST_CASE("activations: an upcall gives the CPU to another thread") {
    Result r = run(Model::Activations, kA, 1);
    CHECK(r.finish == std::vector<int>{21, 10, 18});
    CHECK(r.makespan == 21);
    CHECK(r.upcall_ticks == 4);
    CHECK(r.upcalls == 4);
    CHECK(r.idle_ticks == 1);
    CHECK(r.switch_ticks == 0);
    CHECK(r.utilisation == doctest::Approx(16.0 / 21));
    CHECK(cpu(r, 0, 5) == "upcall");
    CHECK(cpu(r, 0, 6) == "U1");
    CHECK(cpu(r, 0, 12) == "upcall");
    CHECK(cpu(r, 0, 13) == "idle");
    CHECK(cpu(r, 0, 14) == "upcall");
    CHECK(th(r, 2, 14) == State::Blocked);
    CHECK(th(r, 2, 15) == State::Ready);
    CHECK(cpu(r, 0, 15) == "upcall");
    CHECK(cpu(r, 0, 16) == "U2");
    CHECK(cpu(r, 0, 18) == "U0");
}

// activations, "c1 b4 c1, c4, c2", 2 CPUs (compare many-to-many above).
//   t0   CPU0 U0, CPU1 U1
//   t1   U0 blocks until 5: upcall on CPU0 (t1)
//   t2-3 CPU0 runs U2 (the LWP model left CPU0 idle here); DONE at 4
//   t4   U1 DONE (t0-3); both CPUs idle t4
//   t5   U0 unblocks: upcall on CPU0 (t5); U0 READY at 6
//   t6   U0 on CPU0; DONE at 7
//   compute 8, upcall 2, utilisation 8 / (2 x 7) = 57.1%
TEST_CASE("activations: the blocked thread's CPU goes on with another thread") {
    Result r = run(Model::Activations, "c1 b4 c1, c4, c2", 2);
    CHECK(r.finish == std::vector<int>{7, 4, 4});
    CHECK(r.makespan == 7);
    CHECK(r.upcall_ticks == 2);
    CHECK(r.utilisation == doctest::Approx(8.0 / 14));
    CHECK(cpu(r, 0, 1) == "upcall");
    CHECK(cpu(r, 0, 2) == "U2");
    CHECK(cpu(r, 1, 2) == "U1");
    CHECK(cpu(r, 0, 5) == "upcall");
    CHECK(cpu(r, 0, 6) == "U0");
    CHECK(cpu(r, 1, 6) == "idle");
}

// activations with upcall 0: an upcall is instantaneous and needs no CPU.
//   "c2 b2 c1, c3", 1 CPU: t0-1 U0; t2 U0 blocks until 4, U1 at once t2-4;
//   t4 U0 ready (no upcall time), CPU busy with U1 until 5; t5 U0; DONE at 6
TEST_CASE("activations: zero-cost upcalls") {
    Result r = run(Model::Activations, "c2 b2 c1, c3", 1, 0, Costs{0, 1, 0});
    CHECK(r.finish == std::vector<int>{6, 5});
    CHECK(r.upcalls == 2);
    CHECK(r.upcall_ticks == 0);
    CHECK(cpu(r, 0, 2) == "U1");
    CHECK(th(r, 0, 4) == State::Ready);
    CHECK(cpu(r, 0, 5) == "U0");
}

TEST_CASE("the lessons in the numbers: same workload, four models") {
    int m1 = run(Model::ManyToOne, kA, 1).makespan;
    int o1 = run(Model::OneToOne, kA, 1).makespan;
    int mn = run(Model::ManyToMany, kA, 1, 2).makespan;
    int ac = run(Model::Activations, kA, 1).makespan;
    CHECK(m1 == 28);
    CHECK(o1 < m1);
    CHECK(mn < m1);
    CHECK(ac < m1);
}
