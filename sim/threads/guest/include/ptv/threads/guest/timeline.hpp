// The threads guest's timeline: what it printed on the serial line, and
// the same events as the simulator predicts them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/threads/sim/simulator.hpp"

namespace ptv::threads::guest {

enum class EventKind { Start, Block, Wake, Done };
const char* to_string(EventKind k);

struct Event {
    int64_t time = 0;  // guest: microseconds; predicted: ticks
    int thread = 0;
    EventKind kind = EventKind::Start;
    int cpu = 0;
    bool operator==(const Event&) const = default;
};

struct GuestTimeline {
    std::string model;  // sync | async | smp
    int64_t tick_us = 0;
    int threads = 0, cpus = 0;
    std::vector<Event> events;  // in the order they happened
    int64_t total_us = 0;
    int64_t reads = 0;
};

// Parses the guest's serial output ("threads: ..." and "t=... thread ...");
// throws std::runtime_error naming the line it cannot read.
GuestTimeline parse_guest_output(const std::string& serial);

// The simulator's events: start (first tick RUNNING), block (a block burst
// begins), wake (it ends, unless it was the thread's last burst), done (its
// finish tick); ordered by tick, then thread. Times in ticks, cpu -1.
std::vector<Event> predicted_events(const ptv::threads::sim::Workload& w,
                                    const ptv::threads::sim::Result& r);

}  // namespace ptv::threads::guest
