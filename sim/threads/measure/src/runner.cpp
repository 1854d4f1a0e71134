// Runs every cell of the table, repeated, and keeps the trials.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ptv/common/clock.hpp"
#include "ptv/threads/measure/measure.hpp"

namespace ptv::threads::measure {

std::string_view key(Kind k) {
    switch (k) {
        case Kind::Fiber:
            return "fiber";
        case Kind::KernelThread:
            return "thread";
        case Kind::Process:
            return "process";
        case Kind::BareContext:
            return "bare_context";
    }
    return "?";
}

std::string_view label(Kind k) {
    switch (k) {
        case Kind::Fiber:
            return "user-level (fibers)";
        case Kind::KernelThread:
            return "kernel threads";
        case Kind::Process:
            return "processes";
        case Kind::BareContext:
            return "bare Boost.Context";
    }
    return "?";
}

std::string_view key(Op op) {
    switch (op) {
        case Op::NullFork:
            return "null_fork";
        case Op::SignalWait:
            return "signal_wait";
        case Op::ContextSwitch:
            return "context_switch";
    }
    return "?";
}

std::string_view label(Op op) {
    switch (op) {
        case Op::NullFork:
            return "Null Fork";
        case Op::SignalWait:
            return "Signal-Wait";
        case Op::ContextSwitch:
            return "context switch";
    }
    return "?";
}

Run run_once(Op op, Kind kind, uint64_t n) {
    switch (op) {
        case Op::NullFork:
            switch (kind) {
                case Kind::Fiber:
                    return null_fork_fiber(n);
                case Kind::KernelThread:
                    return null_fork_thread(n);
                case Kind::Process:
                    return null_fork_process(n);
                case Kind::BareContext:
                    break;
            }
            break;
        case Op::SignalWait:
            switch (kind) {
                case Kind::Fiber:
                    return signal_wait_fiber(n);
                case Kind::KernelThread:
                    return signal_wait_thread(n);
                case Kind::Process:
                    return signal_wait_process(n);
                case Kind::BareContext:
                    break;
            }
            break;
        case Op::ContextSwitch:
            switch (kind) {
                case Kind::Fiber:
                    return switch_fiber(n);
                case Kind::KernelThread:
                    return switch_thread(n);
                case Kind::Process:
                    return switch_process(n);
                case Kind::BareContext:
                    return switch_bare_context(n);
            }
            break;
    }
    throw std::logic_error("run_once: no such measurement");
}

uint64_t iterations_for(Op op, Kind kind, uint64_t base) {
    // Weights: about how many times cheaper than a process Null Fork each
    // loop iteration is here, so that every trial takes similar time.
    uint64_t w = 1;
    switch (op) {
        case Op::NullFork:
            w = kind == Kind::Fiber ? 100 : kind == Kind::KernelThread ? 10 : 1;
            break;
        case Op::SignalWait:
            w = kind == Kind::Fiber ? 200 : 10;
            break;
        case Op::ContextSwitch:
            w = kind == Kind::Fiber ? 1000 : kind == Kind::BareContext ? 2000 : 20;
            break;
    }
    return base * w;
}

double Cell::median_ns() const {
    std::vector<double> v;
    for (const Trial& t : trials) v.push_back(t.run.ns_per_op());
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const Cell* Results::find(Op op, Kind kind) const {
    for (const Cell& c : cells)
        if (c.op == op && c.kind == kind) return &c;
    return nullptr;
}

double Results::median_ns(Op op, Kind kind) const {
    const Cell* c = find(op, kind);
    return c ? c->median_ns() : std::nan("");
}

Results measure_all(const Options& options) {
    if (options.iterations == 0 || options.trials == 0)
        throw std::invalid_argument("measure_all: iterations and trials must be at least 1");
    Results r;
    r.options = options;
    for (Op op : kOps)
        for (Kind kind : kKinds)
            r.cells.push_back(Cell{op, kind, iterations_for(op, kind, options.iterations), {}});
    if (options.bare_context)
        r.cells.push_back(
            Cell{Op::ContextSwitch,
                 Kind::BareContext,
                 iterations_for(Op::ContextSwitch, Kind::BareContext, options.iterations),
                 {}});

    auto check = [](const Cell& c, const Run& run) {
        if (!run.alternated)
            throw std::runtime_error(std::string(label(c.op)) + " on " +
                                     std::string(label(c.kind)) +
                                     ": the ping-pong did not alternate");
    };
    // Warm-up: first-touch page faults, the allocator's first stacks, the
    // fiber scheduler of this thread; not counted.
    for (const Cell& c : r.cells)
        check(c, run_once(c.op, c.kind, std::max<uint64_t>(1, c.iterations / 10)));
    for (unsigned t = 0; t < options.trials; ++t) {
        for (Cell& c : r.cells) {
            if (options.progress) options.progress(c, t);
            Cell::Trial trial;
            trial.start_ns = now_ns();
            trial.run = run_once(c.op, c.kind, c.iterations);
            check(c, trial.run);
            c.trials.push_back(trial);
        }
    }
    return r;
}

double anderson_1992_us(Op op, Kind kind) {
    // Anderson, Bershad, Lazowska, Levy: "Scheduler Activations", TOCS 10(1),
    // 1992, Table 1 (FastThreads on Topaz, Topaz threads, Ultrix processes).
    if (op == Op::NullFork) {
        if (kind == Kind::Fiber) return 34;
        if (kind == Kind::KernelThread) return 948;
        if (kind == Kind::Process) return 11300;
    }
    if (op == Op::SignalWait) {
        if (kind == Kind::Fiber) return 37;
        if (kind == Kind::KernelThread) return 441;
        if (kind == Kind::Process) return 1840;
    }
    return -1;
}

}  // namespace ptv::threads::measure
