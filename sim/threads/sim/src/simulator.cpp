// The threading-model simulator. One loop over ticks; at each tick boundary
// the events of README.md "Order of events" are applied in that order, then
// every entity's state for the tick is recorded, then the tick is executed.
#include "ptv/threads/sim/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <stdexcept>

#include "ptv/common/error.hpp"

namespace ptv::threads::sim {

std::string to_string(Model m) {
    switch (m) {
        case Model::ManyToOne:
            return "many-to-one";
        case Model::OneToOne:
            return "one-to-one";
        case Model::ManyToMany:
            return "many-to-many";
        case Model::Activations:
            return "activations";
    }
    return "?";
}

Model parse_model(const std::string& name) {
    for (Model m : {Model::ManyToOne, Model::OneToOne, Model::ManyToMany, Model::Activations})
        if (to_string(m) == name) return m;
    throw UsageError(
        fmt::format("--model {}: unknown model; use many-to-one, one-to-one, "
                    "many-to-many or activations",
                    name));
}

const char* to_string(State s) {
    switch (s) {
        case State::Ready:
            return "READY";
        case State::Running:
            return "RUN";
        case State::Blocked:
            return "BLOCK";
        case State::Done:
            return "DONE";
        case State::Idle:
            return "idle";
        case State::Switch:
            return "switch";
        case State::Upcall:
            return "upcall";
    }
    return "?";
}

void validate(const Config& cfg, const Workload& w) {
    int n = int(w.size());
    if (n < 1) throw UsageError("no threads; give --workload or --seed");
    if (n > kMaxThreads)
        throw UsageError(
            fmt::format("--threads {}: more than {}; use fewer threads", n, kMaxThreads));
    if (cfg.cpus < 1)
        throw UsageError(
            fmt::format("--cpus {}: a simulation needs at least one CPU; give "
                        "--cpus 1 or more",
                        cfg.cpus));
    if (cfg.cpus > kMaxCpus)
        throw UsageError(
            fmt::format("--cpus {}: more than {}; use fewer CPUs", cfg.cpus, kMaxCpus));
    if (cfg.model == Model::ManyToMany) {
        if (cfg.lwps < 1)
            throw UsageError(
                fmt::format("--lwps {}: many-to-many needs at least one LWP; give "
                            "--lwps between 1 and the number of threads ({})",
                            cfg.lwps, n));
        if (cfg.lwps > n)
            throw UsageError(
                fmt::format("--lwps {}: more LWPs than user threads ({}) leaves "
                            "LWPs with nothing to run; give --lwps {} or fewer",
                            cfg.lwps, n, n));
    }
    auto cost = [](const char* flag, int v) {
        if (v < 0 || v > kMaxCost)
            throw UsageError(
                fmt::format("{} {}: a switch cost is 0 to {} ticks; give a value in "
                            "that range",
                            flag, v, kMaxCost));
    };
    cost("--user-switch", cfg.costs.user);
    cost("--kernel-switch", cfg.costs.kernel);
    cost("--upcall", cfg.costs.upcall);
    if (cfg.quantum < 0 || cfg.quantum > kMaxBurst)
        throw UsageError(fmt::format("--quantum {}: give 0 (no preemption) to {} ticks",
                                     cfg.quantum, kMaxBurst));
    if (cfg.quantum > 0 && cfg.model == Model::Activations)
        throw UsageError(
            "--quantum: activations have no kernel time slicing (the process owns "
            "its virtual processors); leave --quantum out");
    int64_t total = 0;
    for (const auto& t : w) total += total_ticks(t);
    if (total > kMaxTotalTicks)
        throw UsageError(
            fmt::format("--workload: {} ticks in all is more than {}; use shorter "
                        "or fewer bursts",
                        total, kMaxTotalTicks));
}

int kernel_entities(const Config& cfg, const Workload& w) {
    switch (cfg.model) {
        case Model::ManyToOne:
            return 1;
        case Model::OneToOne:
            return int(w.size());
        case Model::ManyToMany:
            return cfg.lwps;
        case Model::Activations:
            return 0;
    }
    return 0;
}

void Timeline::record(int tick, Cell c) {
    if (!spans_.empty() && spans_.back().end == tick && spans_.back().cell == c)
        spans_.back().end = tick + 1;
    else
        spans_.push_back({tick, tick + 1, c});
}

Cell Timeline::at(int tick) const {
    auto it = std::upper_bound(spans_.begin(), spans_.end(), tick,
                               [](int t, const Span& s) { return t < s.begin; });
    if (it == spans_.begin()) return {};
    --it;
    if (tick < it->end) return it->cell;
    return {};
}

namespace {

struct UserThread {
    const ThreadBursts* bursts = nullptr;
    size_t burst = 0;  // index of the current burst
    int left = 0;      // ticks left of the current compute burst
    State state = State::Ready;
    int unblock_at = -1;
    int lwp = -1;  // bound LWP (many-to-one/one/many)
    int cpu = -1;  // CPU while running
    int finish = -1;
};

// A lightweight process (Fig. 3-2): the kernel-schedulable entity a user
// thread runs on. Many-to-many has K of them; many-to-one is the special
// case of one (the process itself), one-to-one of one per user thread (a
// kernel thread each). It blocks with the user thread it runs (rule M4).
struct LightweightProcess {
    int thread = -1, last_thread = -1;
    State state = State::Idle;
    int ran = 0;  // ticks run since dispatched (for the quantum)
};

// Scheduler activations (Anderson et al. 1992): the kernel tells the
// user-level scheduler of every event that changes what its threads can
// do by an upcall, run on a fresh activation on one of the process's
// CPUs. Here the two events that matter: a thread blocked in the kernel
// (rule A2; its CPU goes back to the user scheduler), and a blocked thread
// can run again (rule A4; it joins the user-level ready queue).
struct SchedulerActivation {
    enum class Upcall : uint8_t { Blocked, Unblocked };
    Upcall upcall;
    int thread;  // the user thread the upcall reports
    // The thread the upcall makes READY, or -1.
    int readies() const { return upcall == Upcall::Unblocked ? thread : -1; }
};

struct Cpu {
    State state = State::Idle;
    int lwp = -1, last_lwp = -1;
    int thread = -1, last_thread = -1;
    int left = 0;                      // ticks left of a switch or upcall
    SchedulerActivation activation{};  // while state is Upcall: the upcall it runs
};

class Engine {
  public:
    Engine(const Config& cfg, const Workload& w) : cfg_(cfg) {
        threads_.resize(w.size());
        for (size_t i = 0; i < w.size(); ++i) threads_[i].bursts = &w[i];
        cpus_.resize(size_t(cfg.cpus));
        lwps_.resize(size_t(kernel_entities(cfg, w)));
        r_.finish.assign(w.size(), -1);
        r_.threads.resize(w.size());
        r_.lwps.resize(lwps_.size());
        r_.cpus.resize(cpus_.size());
    }

    Result run() {
        // Every thread starts at its first (compute) burst, READY, in the
        // user-level ready queue in thread order.
        for (size_t i = 0; i < threads_.size(); ++i) {
            threads_[i].left = (*threads_[i].bursts)[0].ticks;
            uready_.push_back(int(i));
        }
        // Rule M2: LWP j takes the next ready user thread, in LWP order,
        // and joins the kernel ready queue.
        for (size_t j = 0; j < lwps_.size(); ++j)
            if (take_thread(int(j))) enqueue(int(j));

        int64_t limit = kMaxTotalTicks * int64_t(2 + cfg_.costs.user + cfg_.costs.kernel +
                                                 2 * cfg_.costs.upcall) +
                        16;
        for (int t = 0;; ++t) {
            boundary(t);
            if (done_ == int(threads_.size())) {
                r_.makespan = t;
                break;
            }
            if (t > limit) throw std::logic_error("threads sim: no progress (a bug)");
            record(t);
            execute(t);
        }
        for (size_t i = 0; i < threads_.size(); ++i) r_.finish[i] = threads_[i].finish;
        r_.utilisation =
            r_.makespan ? double(r_.compute_ticks) / (double(cfg_.cpus) * r_.makespan) : 0;
        return std::move(r_);
    }

  private:
    bool activations() const { return cfg_.model == Model::Activations; }

    // Moves thread i past a finished burst at tick t: to its next compute
    // burst (stays READY/RUNNING), into a block, or DONE.
    void advance(int i, int t) {
        UserThread& th = threads_[size_t(i)];
        th.burst++;
        if (th.burst == th.bursts->size()) {
            th.state = State::Done;
            th.finish = t;
            ++done_;
            return;
        }
        const Burst& b = (*th.bursts)[th.burst];
        if (b.kind == Burst::Compute) {
            th.left = b.ticks;
            if (th.state != State::Running) th.state = State::Ready;
        } else {
            th.state = State::Blocked;
            th.unblock_at = t + b.ticks;
        }
    }

    // The LWP takes the head of the user-level ready queue (rule M2).
    bool take_thread(int j) {
        if (uready_.empty()) {
            lwps_[size_t(j)].thread = -1;
            lwps_[size_t(j)].state = State::Idle;
            return false;
        }
        int i = uready_.front();
        uready_.pop_front();
        lwps_[size_t(j)].thread = i;
        threads_[size_t(i)].lwp = j;
        return true;
    }

    void enqueue(int j) {
        lwps_[size_t(j)].state = State::Ready;
        kready_.push_back(j);
    }

    void set_running(int c) {
        Cpu& cpu = cpus_[size_t(c)];
        cpu.state = State::Running;
        UserThread& th = threads_[size_t(cpu.thread)];
        th.state = State::Running;
        th.cpu = c;
    }

    // Starts `cost` ticks of switching on CPU c, or runs at once if 0.
    void begin(int c, int cost) {
        Cpu& cpu = cpus_[size_t(c)];
        if (cost > 0) {
            cpu.state = State::Switch;
            cpu.left = cost;
            r_.switches++;
        } else {
            set_running(c);
        }
    }

    // Rule M3: CPU c runs LWP j; a kernel switch if the CPU last ran another
    // LWP, plus a user switch if the LWP last ran another user thread.
    void start_lwp(int c, int j) {
        Cpu& cpu = cpus_[size_t(c)];
        LightweightProcess& lwp = lwps_[size_t(j)];
        int cost = 0;
        if (cpu.last_lwp >= 0 && cpu.last_lwp != j) cost += cfg_.costs.kernel;
        if (lwp.last_thread >= 0 && lwp.last_thread != lwp.thread) cost += cfg_.costs.user;
        cpu.lwp = cpu.last_lwp = j;
        cpu.thread = cpu.last_thread = lwp.thread;
        lwp.last_thread = lwp.thread;
        lwp.state = State::Running;
        lwp.ran = 0;
        threads_[size_t(lwp.thread)].state = State::Ready;
        begin(c, cost);
    }

    // Rule A3: CPU c runs user thread i (a user-level switch if it last ran
    // another thread).
    void start_thread(int c, int i) {
        Cpu& cpu = cpus_[size_t(c)];
        int cost = cpu.last_thread >= 0 && cpu.last_thread != i ? cfg_.costs.user : 0;
        cpu.thread = cpu.last_thread = i;
        begin(c, cost);
    }

    void free_cpu(int c) {
        Cpu& cpu = cpus_[size_t(c)];
        cpu.state = State::Idle;
        cpu.lwp = cpu.thread = -1;
    }

    void start_upcall(int c, SchedulerActivation activation) {
        Cpu& cpu = cpus_[size_t(c)];
        cpu.state = State::Upcall;
        cpu.left = cfg_.costs.upcall;
        cpu.thread = -1;
        cpu.activation = activation;
        r_.upcalls++;
    }

    void boundary(int t) {
        // (1) CPU events, in CPU order.
        for (size_t c = 0; c < cpus_.size(); ++c) {
            Cpu& cpu = cpus_[c];
            if (cpu.state == State::Switch && cpu.left == 0) {
                set_running(int(c));
            } else if (cpu.state == State::Upcall && cpu.left == 0) {
                // Rule A4: the upcall reported an unblocked thread: READY now.
                if (int i = cpu.activation.readies(); i >= 0) ready_thread(i);
                free_cpu(int(c));
            } else if (cpu.state == State::Running && threads_[size_t(cpu.thread)].left == 0) {
                int i = cpu.thread;
                advance(i, t);
                State s = threads_[size_t(i)].state;
                if (s == State::Running) continue;  // c then c: goes on computing
                threads_[size_t(i)].cpu = -1;
                if (activations()) {
                    // Rule A2: a block costs an upcall on this CPU (a fresh
                    // activation tells the user scheduler); DONE frees it.
                    free_cpu(int(c));
                    if (s == State::Blocked && cfg_.costs.upcall > 0)
                        start_upcall(int(c), {SchedulerActivation::Upcall::Blocked, i});
                    if (s == State::Blocked && cfg_.costs.upcall == 0) r_.upcalls++;
                    continue;
                }
                int j = cpu.lwp;
                if (s == State::Blocked) {
                    // Rule M4: the LWP blocks with its thread (Fig. 3-2).
                    lwps_[size_t(j)].state = State::Blocked;
                    free_cpu(int(c));
                } else if (take_thread(j)) {
                    // Rule M5: DONE; the LWP goes on with the next user thread.
                    start_lwp(int(c), j);
                } else {
                    free_cpu(int(c));
                }
            }
        }
        // (2) Blocks that end, in thread order.
        for (size_t i = 0; i < threads_.size(); ++i) {
            UserThread& th = threads_[i];
            if (th.state != State::Blocked || th.unblock_at != t) continue;
            advance(int(i), t);
            if (activations()) {
                if (th.state == State::Done) continue;
                th.state = State::Blocked;  // until the user scheduler hears of it (rule A4)
                if (cfg_.costs.upcall == 0) {
                    r_.upcalls++;
                    ready_thread(int(i));
                } else {
                    pending_upcalls_.push_back({SchedulerActivation::Upcall::Unblocked, int(i)});
                }
                continue;
            }
            int j = th.lwp;
            if (th.state == State::Done) {
                if (take_thread(j)) enqueue(j);
            } else {
                enqueue(j);  // rule M4: the LWP is runnable again with its thread
            }
        }
        // (3) Quantum expiries, in CPU order (rule M6).
        if (cfg_.quantum > 0 && !activations()) {
            for (size_t c = 0; c < cpus_.size(); ++c) {
                Cpu& cpu = cpus_[c];
                if (cpu.state != State::Running || kready_.empty()) continue;
                LightweightProcess& lwp = lwps_[size_t(cpu.lwp)];
                if (lwp.ran < cfg_.quantum) continue;
                threads_[size_t(cpu.thread)].state = State::Ready;
                threads_[size_t(cpu.thread)].cpu = -1;
                enqueue(cpu.lwp);
                free_cpu(int(c));
            }
        }
        // (4) Dispatch: idle CPUs, lowest number first, take the head of the
        // ready queue (kernel: LWPs; activations: pending upcalls first, then
        // user threads).
        for (size_t c = 0; c < cpus_.size(); ++c) {
            if (cpus_[c].state != State::Idle) continue;
            if (activations()) {
                if (!pending_upcalls_.empty()) {
                    start_upcall(int(c), pending_upcalls_.front());
                    pending_upcalls_.pop_front();
                } else if (!uready_.empty()) {
                    int i = uready_.front();
                    uready_.pop_front();
                    start_thread(int(c), i);
                }
            } else if (!kready_.empty()) {
                int j = kready_.front();
                kready_.pop_front();
                start_lwp(int(c), j);
            }
        }
    }

    void ready_thread(int i) {
        threads_[size_t(i)].state = State::Ready;
        uready_.push_back(i);
    }

    void record(int t) {
        for (size_t i = 0; i < threads_.size(); ++i) {
            const UserThread& th = threads_[i];
            r_.threads[i].record(t, {th.state, th.state == State::Running ? th.cpu : -1});
        }
        for (size_t j = 0; j < lwps_.size(); ++j)
            r_.lwps[j].record(t, {lwps_[j].state, lwps_[j].thread});
        for (size_t c = 0; c < cpus_.size(); ++c) {
            const Cpu& cpu = cpus_[c];
            int who = cpu.state == State::Upcall ? cpu.activation.readies() : cpu.thread;
            r_.cpus[c].record(t, {cpu.state, who});
        }
    }

    void execute(int) {
        for (size_t c = 0; c < cpus_.size(); ++c) {
            Cpu& cpu = cpus_[c];
            switch (cpu.state) {
                case State::Idle:
                    r_.idle_ticks++;
                    break;
                case State::Switch:
                    cpu.left--;
                    r_.switch_ticks++;
                    break;
                case State::Upcall:
                    cpu.left--;
                    r_.upcall_ticks++;
                    break;
                case State::Running: {
                    threads_[size_t(cpu.thread)].left--;
                    r_.compute_ticks++;
                    if (activations()) {
                        r_.thread_cpu[{cpu.thread, int(c)}]++;
                    } else {
                        lwps_[size_t(cpu.lwp)].ran++;
                        r_.thread_lwp[{cpu.thread, cpu.lwp}]++;
                        r_.lwp_cpu[{cpu.lwp, int(c)}]++;
                    }
                    break;
                }
                default:
                    break;
            }
        }
    }

    const Config& cfg_;
    std::vector<UserThread> threads_;
    std::vector<LightweightProcess> lwps_;
    std::vector<Cpu> cpus_;
    std::deque<int> uready_;                           // user-level ready queue (FIFO)
    std::deque<int> kready_;                           // kernel ready queue of LWPs (FIFO)
    std::deque<SchedulerActivation> pending_upcalls_;  // unblocks not yet reported
    int done_ = 0;
    Result r_;
};

}  // namespace

Result simulate(const Config& cfg, const Workload& w) {
    validate(cfg, w);
    return Engine(cfg, w).run();
}

}  // namespace ptv::threads::sim
