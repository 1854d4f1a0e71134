// Public case: sleeping threads wake in deadline order, never early, and
// while they sleep the others run.
#include <chrono>
#include <string>

#include "harness/schedule_log.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

using ptv::lab::expect;
using ptv::lab::expect_eq;
using uthread::lab::ScheduleLog;

namespace {
using Clock = std::chrono::steady_clock;
int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}
}  // namespace

PTV_LAB_CASE("sleep-order") {
    // 1, 2, 3 sleep 150, 50, 100 ms (deadlines 50 ms apart); 4 yields
    // until all three are back. They wake 2, 3, 1; none before its time;
    // and 4 ran while they slept (a sleep that blocks the kernel thread
    // would not let it).
    ScheduleLog log;
    int woken = 0;
    long spins = 0, spins_at_first_wake = -1;
    int64_t slept[4] = {0, 0, 0, 0};
    const int64_t ms[4] = {0, 150, 50, 100};
    uthread::run([&] {
        for (int k = 1; k <= 3; ++k)
            uthread::create([&, k] {
                const Clock::time_point t0 = Clock::now();
                uthread::sleep_for(ms[k]);
                slept[k] = ms_since(t0);
                if (woken++ == 0) spins_at_first_wake = spins;
                log.add(std::to_string(k));
            });
        uthread::create([&] {
            while (woken < 3) {
                ++spins;
                uthread::yield();
            }
        });
    });
    expect_eq(log.text(), std::string("2 3 1"), "order of waking");
    for (int k = 1; k <= 3; ++k)
        expect(slept[k] >= ms[k], "thread " + std::to_string(k) + " asked for " +
                                      std::to_string(ms[k]) + " ms and slept " +
                                      std::to_string(slept[k]) + " ms");
    expect(spins_at_first_wake > 0,
           "thread 4 never ran while the others slept: sleep_for blocked every thread");

    // Nobody ready: the scheduler must wait for the earliest deadline.
    ScheduleLog log2;
    uthread::run([&] {
        uthread::create([&] {
            uthread::sleep_for(60);
            log2.add("1");
        });
        uthread::sleep_for(20);
        log2.add("0");
    });
    expect_eq(log2.text(), std::string("0 1"), "order of waking with no thread ready");
}
