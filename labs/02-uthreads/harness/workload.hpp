// Random workloads for the hidden cases: small programs of create, yield,
// lock, unlock, wait, signal, broadcast, join and exit, one per thread,
// generated from a seed. The harness runs them twice: on the student's
// package, and on its own model of uthread.hpp's rules (a few lines of
// queues, no stacks, no switching), and compares the two schedules step by
// step, including how they end: all threads done, or a deadlock and who
// was left blocked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "uthread.hpp"

namespace uthread::lab {

enum class Op : uint8_t { Yield, Lock, Unlock, Wait, Signal, Broadcast, Create, Join, Exit };

struct Step {
    Op op = Op::Yield;
    // Lock, Unlock: a = mutex. Wait: a = condition variable, b = mutex.
    // Signal, Broadcast: a = condition variable. Create: a = program.
    // Join: a = which of this thread's children (0 = the first it created).
    int a = 0, b = 0;
};

struct Workload {
    int mutexes = 0, condvars = 0;
    std::vector<std::vector<Step>> programs;  // program 0 is thread 0's
};

// Thread `thread` is about to run step `step` of its program.
struct Event {
    Id thread = 0;
    int step = 0;
    bool operator==(const Event&) const = default;
};

struct Outcome {
    std::vector<Event> events;
    std::vector<Id> deadlocked;  // empty: every thread ended
};

Workload generate_workload(uint64_t seed);
// The programs in words (what ctx.input() shows).
std::string describe(const Workload& w);
std::string describe(const Step& s);

// The schedule uthread.hpp's rules give.
Outcome model_schedule(const Workload& w);
// The schedule the package under test gives.
Outcome run_on_package(const Workload& w);

// "" if the two agree, else where and how they first differ.
std::string compare(const Workload& w, const Outcome& got, const Outcome& expected);

}  // namespace uthread::lab
