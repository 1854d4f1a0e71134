// How many jobs are waiting out their latency now, and the most that ever
// did at once: the measure of how much of the devices' waiting a dispatch
// strategy overlaps (one at a time for the iterative server, up to N for a
// pool of N blocking workers, all of them for an event loop's timers).
#pragma once

#include <atomic>
#include <cstdint>

namespace ptv::vnd {

class WaitingGauge {
  public:
    void enter() {
        const uint64_t now = now_.fetch_add(1, std::memory_order_relaxed) + 1;
        uint64_t seen = max_.load(std::memory_order_relaxed);
        while (now > seen && !max_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
    }
    void leave() { now_.fetch_sub(1, std::memory_order_relaxed); }
    uint64_t now() const { return now_.load(std::memory_order_relaxed); }
    uint64_t max() const { return max_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> now_{0};
    std::atomic<uint64_t> max_{0};
};

}  // namespace ptv::vnd
