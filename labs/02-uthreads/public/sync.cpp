// Public cases: the mutex, the condition variable and what happens when
// nothing can run any more, each with the exact schedule of uthread.hpp.
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/schedule_log.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

using ptv::lab::expect;
using ptv::lab::expect_eq;
using uthread::lab::ScheduleLog;

namespace {

std::string ids_text(const std::vector<uthread::Id>& ids) {
    std::string s = "{";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "}";
}

// Counts its destruction: shows a blocked thread's stack was unwound.
struct Witness {
    int& destroyed;
    ~Witness() { ++destroyed; }
};

}  // namespace

PTV_LAB_CASE("mutex-fifo-handoff") {
    //   0 locks m, creates 1 2 3, yields (1 2 3 0)
    //   1, 2, 3 each log and block in lock (waiters: 1 2 3)
    //   0 unlocks: 1 owns m at once and is ready, so 0's try_lock fails;
    //   0 blocks in lock (waiters: 2 3 0); 1 runs, yields (alone), unlocks:
    //   2 owns it; then 3; then 0; 0 unlocks (free) and try_lock succeeds.
    // Shared objects live outside run(): thread 0 may end before the others.
    ScheduleLog log;
    uthread::Mutex m;
    uthread::run([&] {
        m.lock();
        for (int k = 1; k <= 3; ++k)
            uthread::create([&, k] {
                const std::string me = std::to_string(k);
                log.add(me + "L");
                m.lock();
                log.add(me + "+");
                uthread::yield();
                log.add(me + "-");
                m.unlock();
            });
        log.add("m0");
        uthread::yield();
        log.add("m1");
        m.unlock();
        log.add(std::string("try=") + (m.try_lock() ? "1" : "0"));
        m.lock();
        log.add("m2");
        m.unlock();
        log.add(std::string("try=") + (m.try_lock() ? "1" : "0"));
        m.unlock();
    });
    expect_eq(log.text(), std::string("m0 1L 2L 3L m1 try=0 1+ 1- 2+ 2- 3+ 3- m2 try=1"),
              "schedule");

    // Misuse is an error, not a silent corruption of the mutex.
    std::string relock, foreign_unlock;
    uthread::Mutex m2;
    uthread::run([&] {
        uthread::Mutex& m = m2;
        uthread::create([&] {
            try {
                m.unlock();
            } catch (const std::logic_error&) {
                foreign_unlock = "std::logic_error";
            }
        });
        m.lock();
        try {
            m.lock();
        } catch (const std::logic_error&) {
            relock = "std::logic_error";
        }
        uthread::yield();
        m.unlock();
    });
    expect_eq(relock, std::string("std::logic_error"), "what lock() of an owned mutex throws");
    expect_eq(foreign_unlock, std::string("std::logic_error"),
              "what unlock() by a thread that does not own the mutex throws");
}

PTV_LAB_CASE("condvar-signal-broadcast") {
    //   0 creates 1 2 3, yields: each locks m, logs, waits (waiters: 1 2 3)
    //   0 locks m, signals (1 ready), yields while holding m (1 0):
    //   1 re-acquires m: owned by 0, so 1 blocks in lock; 0 unlocks (1 owns
    //   m, ready), broadcasts (1 2 3 ready), yields (1 2 3 0): 1, 2, 3 in turn
    //   return from wait holding m, log, unlock; then 0.
    ScheduleLog log;
    uthread::Mutex m;
    uthread::CondVar cv;
    uthread::run([&] {
        for (int k = 1; k <= 3; ++k)
            uthread::create([&, k] {
                const std::string me = std::to_string(k);
                m.lock();
                log.add(me + "w");
                cv.wait(m);
                log.add(me + "+");
                m.unlock();
            });
        uthread::yield();
        m.lock();
        cv.signal();
        log.add("s");
        uthread::yield();
        log.add("m");
        m.unlock();
        cv.broadcast();
        log.add("b");
        uthread::yield();
        log.add("e");
    });
    expect_eq(log.text(), std::string("1w 2w 3w s m b 1+ 2+ 3+ e"), "schedule");
}

PTV_LAB_CASE("producer-consumer") {
    // The bounded buffer: 2 producers, 2 consumers, room for 2 items. A
    // lost wakeup (a signal that wakes nobody who waits, or the wrong one)
    // leaves threads waiting for ever: run() throws Deadlock.
    constexpr int kItems = 25, kCapacity = 2;
    std::vector<int> consumed;
    int waits = 0;
    uthread::Mutex m;
    uthread::CondVar not_full, not_empty;
    std::deque<int> buffer;
    try {
        uthread::run([&] {
            for (int p = 1; p <= 2; ++p)
                uthread::create([&, p] {
                    for (int i = 0; i < kItems; ++i) {
                        m.lock();
                        while (buffer.size() == kCapacity) {
                            ++waits;
                            not_full.wait(m);
                        }
                        buffer.push_back(p * 1000 + i);
                        not_empty.signal();
                        m.unlock();
                    }
                });
            for (int c = 0; c < 2; ++c)
                uthread::create([&] {
                    for (int i = 0; i < kItems; ++i) {
                        m.lock();
                        while (buffer.empty()) {
                            ++waits;
                            not_empty.wait(m);
                        }
                        consumed.push_back(buffer.front());
                        buffer.pop_front();
                        not_full.signal();
                        m.unlock();
                        if (i % 3 == 0) uthread::yield();
                    }
                });
        });
    } catch (const uthread::Deadlock& e) {
        throw ptv::lab::Failure("producer/consumer ended in a deadlock (a lost wakeup?): " +
                                std::string(e.what()));
    }
    expect_eq(consumed.size(), size_t(2 * kItems), "items consumed");
    int next[3] = {0, 0, 0};
    for (int item : consumed) {
        const int p = item / 1000, i = item % 1000;
        expect(p == 1 || p == 2, "consumed an item no producer made: " + std::to_string(item));
        expect_eq(i, next[p], "item of producer " + std::to_string(p) + " (FIFO buffer)");
        ++next[p];
    }
    expect(waits > 0, "the buffer never filled or emptied: the case did not test waiting");
}

PTV_LAB_CASE("signal-without-waiter") {
    // Mesa semantics keep no memory of a signal: 0 signals before 1 waits,
    // so 1 waits for ever, 0 for ever in join: a deadlock of threads 0, 1.
    ScheduleLog log;
    std::vector<uthread::Id> blocked;
    uthread::Mutex m;
    uthread::CondVar cv;
    try {
        uthread::run([&] {
            const uthread::Id t = uthread::create([&] {
                m.lock();
                log.add("w");
                cv.wait(m);
                log.add("never");
            });
            cv.signal();
            uthread::join(t);
            log.add("never");
        });
    } catch (const uthread::Deadlock& e) {
        blocked = e.blocked;
    }
    expect_eq(log.text(), std::string("w"), "schedule");
    expect_eq(ids_text(blocked), std::string("{0, 1}"), "Deadlock::blocked");
}

PTV_LAB_CASE("deadlock-detected") {
    // Lock order inversion: 1 holds A and wants B, 2 holds B and wants A,
    // 0 joins 1. Nothing is ready, nobody sleeps: run() throws Deadlock,
    // after unwinding the blocked threads' stacks.
    std::vector<uthread::Id> blocked;
    int destroyed = 0;
    uthread::Mutex a, b;
    try {
        uthread::run([&] {
            const uthread::Id t1 = uthread::create([&] {
                Witness w{destroyed};
                a.lock();
                uthread::yield();
                b.lock();
            });
            uthread::create([&] {
                b.lock();
                uthread::yield();
                a.lock();
            });
            uthread::join(t1);
        });
    } catch (const uthread::Deadlock& e) {
        blocked = e.blocked;
    }
    expect_eq(ids_text(blocked), std::string("{0, 1, 2}"), "Deadlock::blocked (lock order)");
    expect_eq(destroyed, 1, "objects destroyed on the stack of blocked thread 1");

    // A cycle of joins: 1 joins 2 and 2 joins 1; thread 0 has ended.
    blocked.clear();
    try {
        uthread::run([&] {
            const uthread::Id t1 = uthread::create([&] {
                uthread::yield();
                uthread::join(2);
            });
            uthread::create([t1] { uthread::join(t1); });
        });
    } catch (const uthread::Deadlock& e) {
        blocked = e.blocked;
    }
    expect_eq(ids_text(blocked), std::string("{1, 2}"), "Deadlock::blocked (join cycle)");

    // And the package works again afterwards.
    ScheduleLog log;
    uthread::run([&] {
        uthread::create([&] { log.add("1"); });
        log.add("0");
    });
    expect_eq(log.text(), std::string("0 1"), "schedule of a run() after a deadlock");
}
