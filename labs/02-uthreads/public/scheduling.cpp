// Public cases: creating, yielding, joining and ending threads, each with
// the exact schedule uthread.hpp's rules give (worked out in the comments).
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "harness/schedule_log.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

using ptv::lab::expect;
using ptv::lab::expect_eq;
using uthread::lab::ScheduleLog;

PTV_LAB_CASE("create-order") {
    // create() numbers threads 1, 2, 3 and does not switch: thread 0 logs
    // "created" before any of them runs; its yield lets them run in
    // creation order; each thread's self() is the id create() returned.
    ScheduleLog log;
    std::vector<uthread::Id> ids, selves(4, -1);
    uthread::run([&] {
        log.add("0:" + std::to_string(uthread::self()));
        for (int k = 1; k <= 3; ++k)
            ids.push_back(uthread::create([&, k] {
                selves[size_t(k)] = uthread::self();
                log.add(std::to_string(k));
            }));
        log.add("created");
        uthread::yield();
        log.add("back");
    });
    expect_eq(log.text(), std::string("0:0 created 1 2 3 back"), "schedule");
    expect(ids == std::vector<uthread::Id>{1, 2, 3}, "create() must return 1, 2, 3");
    expect(selves == std::vector<uthread::Id>{-1, 1, 2, 3},
           "self() in each thread must be the id create() returned");

    // A second run() starts again at thread 0.
    uthread::Id first = -1, made = -1;
    uthread::run([&] {
        first = uthread::self();
        made = uthread::create([] {});
    });
    expect_eq(first, 0, "self() of the function given to a second run()");
    expect_eq(made, 1, "the first create() of a second run()");
}

PTV_LAB_CASE("yield-round-robin") {
    // Threads 1-3 each log and yield three times; thread 0 twice.
    //   0 creates 1 2 3 (ready: 1 2 3); 0 logs, yields (1 2 3 0)
    //   1, 2, 3 log and yield; 0 logs again, yields (1 2 3 0)
    //   1, 2, 3 log; 0 ends; 1, 2, 3 log their last round, then end.
    ScheduleLog log;
    uthread::run([&] {
        for (int k = 1; k <= 3; ++k)
            uthread::create([&, k] {
                for (int i = 0; i < 3; ++i) {
                    log.add(std::to_string(k) + "." + std::to_string(i));
                    uthread::yield();
                }
                log.add(std::to_string(k) + ".end");
            });
        for (int i = 0; i < 2; ++i) {
            log.add("0." + std::to_string(i));
            uthread::yield();
        }
        log.add("0.end");
    });
    expect_eq(log.text(),
              std::string("0.0 1.0 2.0 3.0 0.1 1.1 2.1 3.1 0.end 1.2 2.2 3.2 1.end 2.end 3.end"),
              "schedule");

    // A yield with nobody else ready returns to the caller at once.
    int yields = 0;
    uthread::run([&] {
        for (int i = 0; i < 5; ++i, ++yields) uthread::yield();
    });
    expect_eq(yields, 5, "yields of a thread that is alone");
}

PTV_LAB_CASE("join-waits") {
    //   0 creates 1 and 2 (ready: 1 2), joins 1: blocked (joiners of 1: 0)
    //   1: a0, yield (2 1)        2: b0, joins 1: blocked (joiners: 0 2)
    //   1: a1, yield (1): alone, so a2, ends: joiners ready (0 2)
    //   0: m, ends                2: b1, joins 1 again: ended, no switch;
    //                                b2, yield (alone), b3, ends.
    ScheduleLog log;
    std::string self_join, bad_join;
    uthread::run([&] {
        const uthread::Id t1 = uthread::create([&] {
            log.add("a0");
            uthread::yield();
            log.add("a1");
            uthread::yield();
            log.add("a2");
        });
        uthread::create([&, t1] {
            log.add("b0");
            uthread::join(t1);
            log.add("b1");
            uthread::join(t1);
            log.add("b2");
            uthread::yield();
            log.add("b3");
        });
        try {
            uthread::join(uthread::self());
        } catch (const std::invalid_argument&) {
            self_join = "std::invalid_argument";
        } catch (const std::logic_error&) {
            self_join = "std::logic_error";
        }
        try {
            uthread::join(99);
        } catch (const std::invalid_argument&) {
            bad_join = "std::invalid_argument";
        }
        uthread::join(t1);
        log.add("m");
    });
    expect_eq(log.text(), std::string("a0 b0 a1 a2 m b1 b2 b3"), "schedule");
    expect_eq(self_join, std::string("std::logic_error"), "what join(self()) throws");
    expect_eq(bad_join, std::string("std::invalid_argument"), "what join(99) throws");
}

PTV_LAB_CASE("exit-wakes-joiners") {
    //   0 creates 1 2 3 (ready: 1 2 3), yields (1 2 3 0)
    //   1: t0, yields (2 3 0 1)   2: yields (3 0 1 2)
    //   3: joins 1 (joiners: 3)   0: joins 1 (joiners: 3 0)
    //   1: t1, exit(): never reaches "t2"; joiners ready in join order (2 3 0)
    //   2: joins 1: ended, j2     3: j3     0: j0
    ScheduleLog log;
    uthread::run([&] {
        const uthread::Id t = uthread::create([&] {
            log.add("t0");
            uthread::yield();
            log.add("t1");
            uthread::exit();
            log.add("t2");
        });
        uthread::create([&, t] {
            uthread::yield();
            uthread::join(t);
            log.add("j2");
        });
        uthread::create([&, t] {
            uthread::join(t);
            log.add("j3");
        });
        uthread::yield();
        uthread::join(t);
        log.add("j0");
    });
    expect_eq(log.text(), std::string("t0 t1 j2 j3 j0"), "schedule");

    // Thread 0 may exit too; run() still waits for the others.
    ScheduleLog log2;
    uthread::run([&] {
        uthread::create([&] { log2.add("x"); });
        log2.add("m");
        uthread::exit();
        log2.add("never");
    });
    expect_eq(log2.text(), std::string("m x"), "schedule when thread 0 calls exit()");
}
