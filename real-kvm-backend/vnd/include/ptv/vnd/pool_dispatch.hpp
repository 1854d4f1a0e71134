// The dispatcher/worker model of Tanenbaum & van Steen, Fig. 3-3: one
// dispatcher thread waits for the guest's doorbells (epoll over their
// eventfds) and reads each one's counter; the device's ring() runs there
// and submits the request's jobs, which go to a queue served by N worker
// threads. A worker is a thread that blocks: it sleeps out the job's
// latency (the disk's seek and rotation) and then runs it, so N workers
// overlap the waits of at most N requests, and the N+1st waits in the
// queue. An exit's access (deliver) is still served on the vCPU's thread:
// the vCPU waits for its answer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ptv/vnd/dispatch_strategy.hpp"

namespace ptv::vnd {

namespace detail {
class OwnedFd;
class DoorbellWatch;
}  // namespace detail

class PoolDispatch final : public DispatchStrategy {
  public:
    static constexpr unsigned kMaxWorkers = 64;
    // 1 to kMaxWorkers workers (std::invalid_argument otherwise).
    explicit PoolDispatch(unsigned workers);
    ~PoolDispatch() override;  // stops

    std::string_view name() const override { return name_; }
    vmb::Response deliver(vmb::Device& device, const Access& access) override;
    // Queued; runs once started. After stop(): std::logic_error.
    void submit(vmb::IoJob job) override;
    bool takes_doorbells() const override { return true; }
    // Before start() only (std::logic_error after).
    void watch(int eventfd, Ring ring) override;
    void start() override;
    // Stops reading doorbells, waits until every job submitted (by then,
    // or by the jobs themselves meanwhile) has run, joins the threads. Not
    // from one of the strategy's own threads (std::logic_error). A pool
    // never started is started for it, so its queued jobs run too.
    void stop() override;
    uint64_t jobs_run() const override { return jobs_run_.load(std::memory_order_relaxed); }
    DispatchStats stats() const override;

    unsigned workers() const { return workers_; }

  private:
    enum class State { Created, Running, Stopped };
    void dispatcher_loop();
    void worker_loop();
    bool on_own_thread() const;

    const unsigned workers_;
    const std::string name_;
    std::unique_ptr<detail::OwnedFd> epoll_;
    std::unique_ptr<detail::OwnedFd> stop_fd_;  // tells the dispatcher to end
    std::unique_ptr<detail::DoorbellWatch> doorbells_;

    std::mutex m_;
    std::condition_variable work_;  // a job queued, or quit_
    std::condition_variable idle_;  // unfinished_ reached 0
    std::deque<vmb::IoJob> queue_;
    uint64_t unfinished_ = 0;  // queued or in a worker's hands
    bool quit_ = false;
    State state_ = State::Created;

    std::thread dispatcher_;
    std::vector<std::thread> pool_;
    std::atomic<uint64_t> jobs_run_{0};
    WaitingGauge waiting_;
};

}  // namespace ptv::vnd
