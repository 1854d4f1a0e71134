// What threads really cost on this machine, side by side in one run
// (chapter 3.1). Anderson et al., "Scheduler Activations", TOCS 1992,
// Table 1, measured two operations on three kinds of thread:
//
//   Null Fork    create a thread, run an empty body, join it (wait for it)
//   Signal-Wait  signal a waiting thread, then wait on a condition: one
//                round trip of a ping-pong, which includes two switches
//
// on user-level threads (FastThreads), kernel threads (Topaz) and processes
// (Ultrix). We measure the same on Boost.Fiber fibers, std::thread and
// fork(), each through the primitive native to it, and add the context
// switch of Fig. 3-1 (a process switch also changes the address space: MMU,
// TLB), plus a bare Boost.Context switch as the floor a fiber switch sits on.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace ptv::threads::measure {

// The columns of Anderson's table, plus the bare Boost.Context switch
// (bench/threads only: the limit a fiber switch is compared against).
enum class Kind { Fiber, KernelThread, Process, BareContext };
// The rows.
enum class Op { NullFork, SignalWait, ContextSwitch };

inline constexpr std::array<Kind, 3> kKinds{Kind::Fiber, Kind::KernelThread, Kind::Process};
inline constexpr std::array<Op, 3> kOps{Op::NullFork, Op::SignalWait, Op::ContextSwitch};

std::string_view key(Kind);    // "fiber", "thread", "process", "bare_context"
std::string_view label(Kind);  // "user-level (fibers)", ...
std::string_view key(Op);      // "null_fork", "signal_wait", "context_switch"
std::string_view label(Op);    // "Null Fork", ...

// One timed loop.
struct Run {
    uint64_t ns = 0;         // wall time of the loop (CLOCK_MONOTONIC)
    uint64_t ops = 0;        // operations it did (forks, Signal-Waits, switches)
    uint64_t handoffs = 0;   // ping-pongs: times control passed to the other side
    bool alternated = true;  // ping-pongs: every wake-up found it was its turn
    double ns_per_op() const { return ops ? double(ns) / double(ops) : 0.0; }
};

// --- Null Fork: create + run an empty body + join, n times --------------
Run null_fork_fiber(uint64_t n);    // boost::fibers::fiber, then join()
Run null_fork_thread(uint64_t n);   // std::thread, then join()
Run null_fork_process(uint64_t n);  // fork() a child that _exit(0)s, waitpid()

// --- Signal-Wait: n round trips of a ping-pong between two threads --------
// (ops = n, handoffs = 2n), each through its native primitive.
Run signal_wait_fiber(uint64_t n);    // boost::fibers::condition_variable, one thread
Run signal_wait_thread(uint64_t n);   // std::condition_variable, two kernel threads
Run signal_wait_process(uint64_t n);  // a pair of pipes between two processes

// --- Context switch (Fig. 3-1): n round trips = 2n switches (ops = 2n) ---
Run switch_fiber(uint64_t n);  // two fibers calling this_fiber::yield()
// Two kernel threads, then two processes, pinned to one CPU so that every
// handoff is a real switch on that CPU, passing a byte through pipes: the
// same mechanism for both, so the difference is the address-space change.
Run switch_thread(uint64_t n);
Run switch_process(uint64_t n);
// The floor: boost::context::fiber resume() ping-pong, no scheduler at all.
Run switch_bare_context(uint64_t n);

// Runs the loop of (op, kind) for n iterations (round trips for ping-pongs).
Run run_once(Op op, Kind kind, uint64_t n);

// Iterations per trial: --iterations N sets the count of the dearest
// measurement (process Null Fork); cheaper ones run proportionally more, so
// that every trial takes about as long.
inline constexpr uint64_t kDefaultIterations = 500;
uint64_t iterations_for(Op op, Kind kind, uint64_t base);

// One cell of the table: its trials and their median.
struct Cell {
    Op op;
    Kind kind;
    uint64_t iterations = 0;
    struct Trial {
        uint64_t start_ns = 0;  // CLOCK_MONOTONIC, for the trace
        Run run;
    };
    std::vector<Trial> trials;
    double median_ns() const;  // per operation
};

struct Options {
    uint64_t iterations = kDefaultIterations;  // base, see iterations_for()
    unsigned trials = 5;
    bool bare_context = false;  // add the bare Boost.Context switch cell
    // Called before each run ("Null Fork: kernel threads, trial 2/5").
    std::function<void(const Cell&, unsigned trial)> progress;
};

struct Results {
    Options options;
    std::vector<Cell> cells;  // every (op, kind), then bare context if asked
    const Cell* find(Op op, Kind kind) const;
    double median_ns(Op op, Kind kind) const;  // NaN if not measured
};

// Every cell, trials interleaved (trial 1 of every cell, then trial 2, ...)
// so that a slow spell of the host spreads over all of them; one short
// warm-up run per cell first. Throws std::runtime_error if a system call
// fails or a ping-pong does not alternate.
Results measure_all(const Options& options);

// Anderson et al. 1992, Table 1 (µs, on a CVAX Firefly): Null Fork and
// Signal-Wait for FastThreads, Topaz threads and Ultrix processes.
// Returns a negative number where they did not measure (context switch).
double anderson_1992_us(Op op, Kind kind);

// For traces: one Null Fork with its moments (CLOCK_MONOTONIC ns): the
// create call, the body starting, and join/wait returning.
struct Lifetime {
    uint64_t created_ns = 0, started_ns = 0, joined_ns = 0;
};
std::vector<Lifetime> sample_lifetimes(Kind kind, unsigned count);

}  // namespace ptv::threads::measure
