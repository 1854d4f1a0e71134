// A thread that does one thing at a steady rate while the guest runs: the
// VGA console's redraw, the PV clock page's refresh. It waits on a
// condition variable (no timer descriptors: nothing the seccomp jail must
// allow beyond futex and clock_gettime), and the period is measured from
// a fixed start, so the rate does not drift with the work's own duration.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ptv::worker {

class PeriodicThread {
  public:
    // Calls `tick` every `period` until destroyed (not at once: after the
    // first period). A tick that overruns skips the periods it missed.
    PeriodicThread(std::chrono::nanoseconds period, std::function<void()> tick);
    ~PeriodicThread();
    PeriodicThread(const PeriodicThread&) = delete;
    PeriodicThread& operator=(const PeriodicThread&) = delete;

    uint64_t ticks() const { return ticks_; }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    uint64_t ticks_ = 0;
    std::thread thread_;
};

}  // namespace ptv::worker
