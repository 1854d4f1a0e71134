// The doorbells a threaded strategy waits on, in its epoll set: the part
// of Fig. 3-3's dispatcher thread and of the event loop that is the same
// in both. Each doorbell is an eventfd (KVM's ioeventfd: the guest's write
// adds one to its counter without an exit); when epoll reports it, its
// counter is read, which clears it, and its ring(n) is called with the
// number of writes counted. Private to vnd.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "ptv/vnd/dispatch_strategy.hpp"

namespace ptv::vnd::detail {

class DoorbellWatch {
  public:
    // The epoll tags at and above this one are the strategy's own
    // descriptors; the doorbells are tagged 0, 1, 2, ... in watch order.
    static constexpr uint64_t kOwnTags = uint64_t(1) << 62;

    explicit DoorbellWatch(int epoll) : epoll_(epoll) {}
    void add(int eventfd, DispatchStrategy::Ring ring);
    // Takes the doorbells out of the epoll set (on stop: no new work).
    void forget_all();
    // Serves one ready epoll event: true if `tag` was a doorbell.
    bool serve(uint64_t tag);
    // Reads every doorbell that has a count now, whether epoll said so
    // yet or not: on stop, so that a ring that came before stop() is served.
    void serve_all();

    uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }
    uint64_t rings() const { return rings_.load(std::memory_order_relaxed); }

  private:
    struct Bell {
        int fd;
        DispatchStrategy::Ring ring;
    };
    int epoll_;
    std::vector<Bell> bells_;
    bool watching_ = true;
    std::atomic<uint64_t> wakeups_{0};
    std::atomic<uint64_t> rings_{0};
};

}  // namespace ptv::vnd::detail
