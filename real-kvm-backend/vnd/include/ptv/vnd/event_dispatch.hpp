// The finite-state machine of Tanenbaum & van Steen ch. 3: one thread, one
// epoll loop, no call that blocks except the wait for the next event. The
// events are the guest's doorbells (eventfds), a timerfd armed for the
// earliest job's deadline, and an eventfd that says a job was submitted
// from another thread (or that stop() was called). A job's latency is a
// deadline in a min-heap, never a sleep, so every outstanding request
// waits at once on one thread; a job is run on the loop thread when it is
// due, and one with no latency on the next turn of the loop. An exit's
// access (deliver) is served on the vCPU's thread: the vCPU waits for it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ptv/vnd/dispatch_strategy.hpp"

namespace ptv::vnd {

namespace detail {
class OwnedFd;
class DoorbellWatch;
}  // namespace detail

class EventDispatch final : public DispatchStrategy {
  public:
    EventDispatch();
    ~EventDispatch() override;  // stops

    std::string_view name() const override { return "event"; }
    vmb::Response deliver(vmb::Device& device, const Access& access) override;
    // Its deadline is now + latency; it runs once started. After stop():
    // std::logic_error.
    void submit(vmb::IoJob job) override;
    bool takes_doorbells() const override { return true; }
    // Before start() only (std::logic_error after).
    void watch(int eventfd, Ring ring) override;
    void start() override;
    // Reads the doorbells a last time and stops reading them, runs every
    // job submitted (by then, or by the jobs themselves meanwhile) when it
    // is due, joins the thread. Not from the loop thread (std::logic_error).
    // A loop never started is started for it, so its queued jobs run too.
    void stop() override;
    // Every job in the heap is due at once; the loop is woken to run them.
    void hurry() override;
    uint64_t jobs_run() const override { return jobs_run_.load(std::memory_order_relaxed); }
    DispatchStats stats() const override;

  private:
    // A job in the min-heap, ordered by deadline, then by submission.
    struct Pending {
        uint64_t due_ns;
        uint64_t seq;
        vmb::IoJob job;
    };
    enum class State { Created, Running, Stopped };
    void loop();
    void take_submitted();
    void run_due();
    void arm_timer();

    std::unique_ptr<detail::OwnedFd> epoll_;
    std::unique_ptr<detail::OwnedFd> wake_fd_;
    std::unique_ptr<detail::OwnedFd> timer_fd_;
    std::unique_ptr<detail::DoorbellWatch> doorbells_;

    std::mutex m_;
    std::vector<Pending> submitted_;  // handed over by submit(), not yet in the heap
    uint64_t next_seq_ = 0;
    bool stopping_ = false;
    State state_ = State::Created;

    // The loop thread's own.
    std::vector<Pending> heap_;  // std::push_heap order: earliest deadline first
    uint64_t armed_ns_ = 0;      // the timer's deadline, 0 when disarmed

    std::thread thread_;
    std::atomic<std::thread::id> loop_id_{};
    std::atomic<uint64_t> jobs_run_{0};
    WaitingGauge waiting_;
};

}  // namespace ptv::vnd
