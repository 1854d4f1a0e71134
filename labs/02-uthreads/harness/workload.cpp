#include "workload.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>

namespace uthread::lab {

namespace {

// splitmix64: the same numbers from the same seed with every compiler and
// standard library (std::uniform_int_distribution does not promise that).
class Random {
  public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    int below(int n) { return int(next() % uint64_t(n)); }
    bool chance(int percent) { return below(100) < percent; }

  private:
    uint64_t state_;
};

class Generator {
  public:
    explicit Generator(uint64_t seed) : r_(seed) {}

    Workload run() {
        // Few mutexes and condition variables, so that threads meet on them:
        // waiting in line for a mutex, several waiting on one variable.
        w_.mutexes = 1 + r_.below(2);
        w_.condvars = 1 + r_.below(2);
        max_programs_ = 5 + r_.below(5);
        w_.programs.emplace_back();
        program(0, 0);
        return w_;
    }

  private:
    // Fills program `p`, created at depth `depth` of the thread tree.
    void program(int p, int depth) {
        std::vector<Step> steps;
        int children = 0;
        bool exited = false;
        const int length = 3 + r_.below(6);
        // Half the other threads start by waiting for a "go" (the classic
        // start barrier): several waiters on one variable.
        if (p != 0 && r_.chance(50)) {
            const int m = r_.below(w_.mutexes);
            steps.push_back({Op::Lock, m, 0});
            steps.push_back({Op::Wait, r_.below(w_.condvars), m});
            steps.push_back({Op::Unlock, m, 0});
        }
        // Thread 0 starts by creating some threads, so there is a schedule.
        if (p == 0)
            for (int i = 2 + r_.below(3); i > 0; --i) create(steps, children, depth);
        for (int i = 0; i < length && !exited; ++i)
            statement(steps, children, depth, -1, 0, exited);
        // Thread 0 ends with rounds of broadcasts, so that many waits end
        // (and a broadcast finds several waiters).
        if (p == 0)
            for (int round = 1 + r_.below(3); round > 0; --round) {
                steps.push_back({Op::Yield, 0, 0});
                for (int c = 0; c < w_.condvars; ++c) steps.push_back({Op::Broadcast, c, 0});
            }
        if (!exited)
            for (int k = 0; k < children; ++k)
                if (r_.chance(p == 0 ? 80 : 50)) steps.push_back({Op::Join, k, 0});
        w_.programs[size_t(p)] = std::move(steps);
    }

    void create(std::vector<Step>& steps, int& children, int depth) {
        if (int(w_.programs.size()) >= max_programs_ || depth >= 3) return;
        const int child = int(w_.programs.size());
        w_.programs.emplace_back();
        steps.push_back({Op::Create, child, 0});
        ++children;
        program(child, depth + 1);
    }

    // One statement; `held` is the mutex whose region we are in (-1: none).
    void statement(std::vector<Step>& steps, int& children, int depth, int held, int nesting,
                   bool& exited) {
        const int roll = r_.below(100);
        if (held >= 0 && roll < 30) {
            steps.push_back({Op::Wait, r_.below(w_.condvars), held});
        } else if (roll < 50) {
            steps.push_back({Op::Yield, 0, 0});
        } else if (roll < 70 && nesting < 2) {
            int m = r_.below(w_.mutexes);
            if (m == held) m = (m + 1) % w_.mutexes;
            if (m == held) {  // one mutex only, and we hold it
                steps.push_back({Op::Yield, 0, 0});
                return;
            }
            steps.push_back({Op::Lock, m, 0});
            for (int i = 1 + r_.below(3); i > 0 && !exited; --i)
                statement(steps, children, depth, m, nesting + 1, exited);
            if (!exited) steps.push_back({Op::Unlock, m, 0});
        } else if (roll < 78) {
            steps.push_back({Op::Signal, r_.below(w_.condvars), 0});
        } else if (roll < 88) {
            steps.push_back({Op::Broadcast, r_.below(w_.condvars), 0});
        } else if (roll < 94) {
            create(steps, children, depth);
        } else if (roll < 98 && children > 0) {
            steps.push_back({Op::Join, r_.below(children), 0});
        } else if (depth > 0 && held < 0) {
            steps.push_back({Op::Exit, 0, 0});
            exited = true;
        } else {
            steps.push_back({Op::Yield, 0, 0});
        }
    }

    Random r_;
    Workload w_;
    int max_programs_ = 0;
};

std::string event_text(const Workload& w, const Event& e, const std::vector<int>& program_of) {
    std::string s = "thread " + std::to_string(e.thread) + " step " + std::to_string(e.step);
    if (e.thread >= 0 && size_t(e.thread) < program_of.size()) {
        const auto& p = w.programs[size_t(program_of[size_t(e.thread)])];
        if (e.step >= 0 && size_t(e.step) < p.size()) s += " (" + describe(p[size_t(e.step)]) + ")";
    }
    return s;
}

std::string ids_text(const std::vector<Id>& ids) {
    if (ids.empty()) return "every thread ended";
    std::string s = "deadlock of {";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "}";
}

}  // namespace

Workload generate_workload(uint64_t seed) {
    return Generator(seed).run();
}

std::string describe(const Step& s) {
    switch (s.op) {
        case Op::Yield:
            return "yield";
        case Op::Lock:
            return "lock m" + std::to_string(s.a);
        case Op::Unlock:
            return "unlock m" + std::to_string(s.a);
        case Op::Wait:
            return "wait c" + std::to_string(s.a) + " m" + std::to_string(s.b);
        case Op::Signal:
            return "signal c" + std::to_string(s.a);
        case Op::Broadcast:
            return "broadcast c" + std::to_string(s.a);
        case Op::Create:
            return "create p" + std::to_string(s.a);
        case Op::Join:
            return "join child#" + std::to_string(s.a);
        case Op::Exit:
            return "exit";
    }
    return "?";
}

std::string describe(const Workload& w) {
    std::string s = std::to_string(w.mutexes) + " mutexes (m), " + std::to_string(w.condvars) +
                    " condition variables (c); thread 0 runs p0; \"create pN\" starts a thread "
                    "running pN; \"join child#K\" joins the K-th thread this one created:";
    for (size_t p = 0; p < w.programs.size(); ++p) {
        s += "\n  p" + std::to_string(p) + ":";
        for (size_t i = 0; i < w.programs[p].size(); ++i)
            s += (i ? ", " : " ") + describe(w.programs[p][i]);
    }
    return s;
}

Outcome model_schedule(const Workload& w) {
    struct T {
        int program = 0;
        size_t pc = 0;
        bool ended = false;
        int relock = -1;  // woken from a wait: re-acquire this mutex first
        std::vector<Id> children, joiners;
    };
    std::vector<T> ts(1);
    std::deque<Id> ready;
    std::vector<Id> owner(size_t(w.mutexes), -1);
    std::vector<std::deque<Id>> mutex_waiters(size_t(w.mutexes)), cv_waiters(size_t(w.condvars));
    Outcome out;
    Id cur = 0;

    auto pick = [&] {
        if (ready.empty()) return false;
        cur = ready.front();
        ready.pop_front();
        return true;
    };
    auto unlock = [&](int m) {
        auto& q = mutex_waiters[size_t(m)];
        if (q.empty()) {
            owner[size_t(m)] = -1;
        } else {
            owner[size_t(m)] = q.front();
            ready.push_back(q.front());
            q.pop_front();
        }
    };
    auto end = [&](Id t) {
        ts[size_t(t)].ended = true;
        for (Id j : ts[size_t(t)].joiners) ready.push_back(j);
        ts[size_t(t)].joiners.clear();
    };

    for (;;) {
        const Id me = cur;
        if (ts[size_t(me)].relock >= 0) {
            const int m = ts[size_t(me)].relock;
            ts[size_t(me)].relock = -1;
            if (owner[size_t(m)] < 0) {
                owner[size_t(m)] = me;
            } else {
                mutex_waiters[size_t(m)].push_back(me);
                if (!pick()) break;
                continue;
            }
        }
        const auto& program = w.programs[size_t(ts[size_t(me)].program)];
        if (ts[size_t(me)].pc >= program.size()) {
            end(me);
            if (!pick()) break;
            continue;
        }
        const Step s = program[ts[size_t(me)].pc];
        out.events.push_back({me, int(ts[size_t(me)].pc)});
        ++ts[size_t(me)].pc;
        bool blocked = false;
        switch (s.op) {
            case Op::Yield:
                ready.push_back(me);
                blocked = true;
                break;
            case Op::Lock:
                if (owner[size_t(s.a)] < 0) {
                    owner[size_t(s.a)] = me;
                } else {
                    mutex_waiters[size_t(s.a)].push_back(me);
                    blocked = true;
                }
                break;
            case Op::Unlock:
                unlock(s.a);
                break;
            case Op::Wait:
                unlock(s.b);
                cv_waiters[size_t(s.a)].push_back(me);
                ts[size_t(me)].relock = s.b;
                blocked = true;
                break;
            case Op::Signal:
                if (!cv_waiters[size_t(s.a)].empty()) {
                    ready.push_back(cv_waiters[size_t(s.a)].front());
                    cv_waiters[size_t(s.a)].pop_front();
                }
                break;
            case Op::Broadcast:
                for (Id t : cv_waiters[size_t(s.a)]) ready.push_back(t);
                cv_waiters[size_t(s.a)].clear();
                break;
            case Op::Create: {
                const Id id = Id(ts.size());
                ts.push_back(T{});
                ts.back().program = s.a;
                ts[size_t(me)].children.push_back(id);
                ready.push_back(id);
                break;
            }
            case Op::Join: {
                const Id target = ts[size_t(me)].children[size_t(s.a)];
                if (!ts[size_t(target)].ended) {
                    ts[size_t(target)].joiners.push_back(me);
                    blocked = true;
                }
                break;
            }
            case Op::Exit:
                end(me);
                blocked = true;
                break;
        }
        if (blocked && !pick()) break;
    }
    for (size_t i = 0; i < ts.size(); ++i)
        if (!ts[i].ended) out.deadlocked.push_back(Id(i));
    return out;
}

Outcome run_on_package(const Workload& w) {
    Outcome out;
    // Outside run(): they outlive every thread, thread 0 included.
    std::vector<std::unique_ptr<Mutex>> mutexes;
    std::vector<std::unique_ptr<CondVar>> condvars;
    for (int i = 0; i < w.mutexes; ++i) mutexes.push_back(std::make_unique<Mutex>());
    for (int i = 0; i < w.condvars; ++i) condvars.push_back(std::make_unique<CondVar>());

    std::function<void(int)> body = [&](int p) {
        std::vector<Id> children;
        const auto& program = w.programs[size_t(p)];
        for (size_t pc = 0; pc < program.size(); ++pc) {
            out.events.push_back({self(), int(pc)});
            const Step& s = program[pc];
            switch (s.op) {
                case Op::Yield:
                    yield();
                    break;
                case Op::Lock:
                    mutexes[size_t(s.a)]->lock();
                    break;
                case Op::Unlock:
                    mutexes[size_t(s.a)]->unlock();
                    break;
                case Op::Wait:
                    condvars[size_t(s.a)]->wait(*mutexes[size_t(s.b)]);
                    break;
                case Op::Signal:
                    condvars[size_t(s.a)]->signal();
                    break;
                case Op::Broadcast:
                    condvars[size_t(s.a)]->broadcast();
                    break;
                case Op::Create: {
                    const int child = s.a;
                    children.push_back(create([&body, child] { body(child); }));
                    break;
                }
                case Op::Join:
                    join(children[size_t(s.a)]);
                    break;
                case Op::Exit:
                    exit();
            }
        }
    };
    try {
        run([&] { body(0); });
    } catch (const Deadlock& e) {
        out.deadlocked = e.blocked;
    }
    return out;
}

std::string compare(const Workload& w, const Outcome& got, const Outcome& expected) {
    // Which program each thread runs, in the model's numbering.
    std::vector<int> program_of{0};
    for (const Event& e : expected.events) {
        const Step& s = w.programs[size_t(program_of[size_t(e.thread)])][size_t(e.step)];
        if (s.op == Op::Create) program_of.push_back(s.a);
    }
    const size_t n = std::min(got.events.size(), expected.events.size());
    for (size_t i = 0; i < n; ++i)
        if (!(got.events[i] == expected.events[i]))
            return "schedule differs at event " + std::to_string(i) + ": the package ran " +
                   event_text(w, got.events[i], program_of) + ", the rules say " +
                   event_text(w, expected.events[i], program_of);
    if (got.events.size() != expected.events.size())
        return "the package ran " + std::to_string(got.events.size()) + " steps, the rules say " +
               std::to_string(expected.events.size()) +
               (got.events.size() > n
                    ? ""
                    : " (next: " + event_text(w, expected.events[n], program_of) + ")");
    if (got.deadlocked != expected.deadlocked)
        return "the run ended with " + ids_text(got.deadlocked) + ", the rules say " +
               ids_text(expected.deadlocked);
    return "";
}

}  // namespace uthread::lab
