#include "doorbell_watch.hpp"

#include <poll.h>

#include <stdexcept>

#include "owned_fd.hpp"

namespace ptv::vnd::detail {

void DoorbellWatch::add(int eventfd, DispatchStrategy::Ring ring) {
    if (eventfd < 0 || !ring)
        throw std::invalid_argument("watch: an eventfd and a ring are needed");
    epoll_watch(epoll_, eventfd, bells_.size());
    bells_.push_back({eventfd, std::move(ring)});
}

void DoorbellWatch::forget_all() {
    if (!watching_) return;
    watching_ = false;
    for (const Bell& b : bells_) epoll_forget(epoll_, b.fd);
}

bool DoorbellWatch::serve(uint64_t tag) {
    if (tag >= kOwnTags) return false;
    const Bell& b = bells_.at(tag);
    const uint64_t n = drain_eventfd(b.fd);
    // Nothing counted (another reader emptied it since epoll looked):
    // nothing to ring.
    if (n == 0) return true;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    rings_.fetch_add(n, std::memory_order_relaxed);
    b.ring(n);
    return true;
}

void DoorbellWatch::serve_all() {
    // A doorbell may be a blocking eventfd (KVM's are): read only those
    // that poll says have a count.
    for (size_t i = 0; i < bells_.size(); ++i) {
        pollfd p{.fd = bells_[i].fd, .events = POLLIN, .revents = 0};
        if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) serve(i);
    }
}

}  // namespace ptv::vnd::detail
