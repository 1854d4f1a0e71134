// The guest's run beside the simulator's answer: the same order of events
// (events the simulator puts at the same tick may come in any order), and
// the times as ticks.
#pragma once

#include <string>
#include <vector>

#include "ptv/threads/guest/timeline.hpp"

namespace ptv::threads::guest {

// "" when `measured` is `predicted` in order, up to events of one tick;
// else a sentence naming the first event out of place.
std::string order_difference(const std::vector<Event>& predicted,
                             const std::vector<Event>& measured);

struct ThreadTimes {
    double start = -1, done = -1;  // ticks (guest: measured us / tick us)
};
// Per thread: its start and done events' times, in ticks.
std::vector<ThreadTimes> thread_times(const std::vector<Event>& events, int threads,
                                      double time_per_tick);

}  // namespace ptv::threads::guest
