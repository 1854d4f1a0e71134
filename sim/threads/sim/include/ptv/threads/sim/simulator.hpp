// The deterministic threading-model simulator of `ptv threads sim`
// (Tanenbaum & van Steen ch. 3.1, Fig. 3-2; Anderson et al., TOCS 1992).
// The exact rules are written out in sim/threads/sim/README.md; the comments
// in simulator.cpp point at them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ptv/threads/sim/workload.hpp"

namespace ptv::threads::sim {

enum class Model {
    ManyToOne,   // user-level threads: every user thread on one kernel entity
    OneToOne,    // kernel threads: one kernel thread per user thread
    ManyToMany,  // N user threads over K lightweight processes (Fig. 3-2)
    Activations  // scheduler activations (Anderson et al. 1992)
};

std::string to_string(Model m);
// "many-to-one", ...; throws ptv::UsageError for anything else.
Model parse_model(const std::string& name);

struct Costs {
    int user = 0;    // user-level thread switch (ticks)
    int kernel = 1;  // kernel switch between kernel threads / LWPs (ticks)
    int upcall = 1;  // one upcall of a scheduler activation (ticks)
};

struct Config {
    Model model = Model::ManyToOne;
    int lwps = 0;  // many-to-many only: K (1 <= K <= threads)
    int cpus = 1;
    Costs costs;
    int quantum = 0;  // kernel round-robin quantum in ticks; 0 = none
};

inline constexpr int kMaxCpus = 64;
inline constexpr int kMaxCost = 1000;

// Throws ptv::UsageError (one line: what was wrong; what to do) if the
// configuration cannot run this workload.
void validate(const Config& cfg, const Workload& w);

// Kernel-schedulable entities of a model: 1 for many-to-one, N for
// one-to-one, K for many-to-many, 0 for activations (there the kernel hands
// the process one virtual processor per CPU instead).
int kernel_entities(const Config& cfg, const Workload& w);

// What an entity is doing during one tick.
enum class State : uint8_t {
    Ready,    // thread / LWP: runnable, waiting
    Running,  // thread / LWP: on a CPU (a CPU: running a thread)
    Blocked,  // thread / LWP: in a system call
    Done,     // thread: finished
    Idle,     // LWP: no user thread; CPU: nothing to do
    Switch,   // CPU: paying a switch cost
    Upcall    // CPU: running an upcall (activations)
};
const char* to_string(State s);

struct Cell {
    State state = State::Idle;
    // Threads: the CPU they run on; LWPs and CPUs: the user thread; else -1.
    int who = -1;
    bool operator==(const Cell&) const = default;
};

// One entity's states over time, as spans of equal cells [begin, end).
class Timeline {
  public:
    struct Span {
        int begin, end;
        Cell cell;
    };
    void record(int tick, Cell c);
    Cell at(int tick) const;
    const std::vector<Span>& spans() const { return spans_; }

  private:
    std::vector<Span> spans_;
};

struct Result {
    int makespan = 0;         // tick at which the last thread is DONE
    std::vector<int> finish;  // per user thread: the tick it is DONE
    int64_t compute_ticks = 0, switch_ticks = 0, upcall_ticks = 0, idle_ticks = 0;
    int64_t switches = 0, upcalls = 0;  // how many of each
    // compute ticks / (CPUs x makespan)
    double utilisation = 0;
    std::vector<Timeline> threads, lwps, cpus;  // lwps: kernel entities (none for activations)
    // Compute ticks per mapping edge (for --dot): (thread, lwp), (lwp, cpu)
    // and (thread, cpu).
    std::map<std::pair<int, int>, int64_t> thread_lwp, lwp_cpu, thread_cpu;
};

// Runs the simulation (validate() first).
Result simulate(const Config& cfg, const Workload& w);

}  // namespace ptv::threads::sim
