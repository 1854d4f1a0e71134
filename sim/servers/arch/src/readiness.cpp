// Connections waiting for their first byte (see readiness.hpp).
#include "ptv/servers/arch/readiness.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "ptv/common/clock.hpp"

namespace ptv::servers::arch {

ReadinessLoop::ReadinessLoop(std::chrono::milliseconds first_byte_timeout, SharedCounters& counters)
    : ep_(epoll_create1(EPOLL_CLOEXEC)),
      timeout_ns_(uint64_t(first_byte_timeout.count()) * 1'000'000),
      counters_(counters) {}

ReadinessLoop::~ReadinessLoop() {
    for (size_t fd = 0; fd < serials_.size(); ++fd)
        if (serials_[fd]) close(int(fd));
    close(ep_);
}

void ReadinessLoop::add(int fd) {
    // Level-triggered: a connection whose bytes came before it was added
    // is reported at once.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);  // out of memory for the epoll entry: as if refused
        return;
    }
    if (size_t(fd) >= serials_.size()) serials_.resize(size_t(fd) + 1, 0);
    serials_[size_t(fd)] = next_serial_;
    deadlines_.push_back({now_ns() + timeout_ns_, fd, next_serial_++});
    ++waiting_;
}

bool ReadinessLoop::accept_from(Acceptor& acceptor) {
    for (;;) {
        Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted)
            add(r.fd);
        else if (r.kind == Acceptor::Kind::Dropped)
            counters_.dropped_accepts.fetch_add(1, std::memory_order_relaxed);
        else
            return r.kind != Acceptor::Kind::Backoff;
    }
}

void ReadinessLoop::collect(std::vector<Ready>& out, size_t max) {
    std::array<epoll_event, 256> events;
    for (size_t taken = 0; taken < max;) {
        const int room = int(std::min(events.size(), max - taken));
        int n = epoll_wait(ep_, events.data(), room, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        const uint64_t now = now_ns();
        for (int i = 0; i < n; ++i) {
            const int fd = events[size_t(i)].data.fd;
            epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
            serials_[size_t(fd)] = 0;  // its FIFO entry is now stale
            --waiting_;
            out.push_back({fd, now});
        }
        taken += size_t(n);
        if (n < room) break;
    }
    expire(now_ns());
}

void ReadinessLoop::expire(uint64_t now) {
    while (!deadlines_.empty() && deadlines_.front().deadline <= now) {
        const Entry e = deadlines_.front();
        deadlines_.pop_front();
        if (serials_[size_t(e.fd)] != e.serial) continue;  // left already
        // Spoken but not yet collected (a caller that takes one at a time):
        // not silent, so it stays, readable, until it is taken.
        pollfd p{e.fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) continue;
        serials_[size_t(e.fd)] = 0;
        --waiting_;
        close(e.fd);  // also takes it out of the epoll set
        counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
    }
    // Stale entries at the front only cost memory until their deadline;
    // drop them now so that next_deadline() is a live one.
    while (!deadlines_.empty() &&
           serials_[size_t(deadlines_.front().fd)] != deadlines_.front().serial)
        deadlines_.pop_front();
}

uint64_t ReadinessLoop::next_deadline() const {
    return deadlines_.empty() ? UINT64_MAX : deadlines_.front().deadline;
}

int ReadinessLoop::wait_ms(uint64_t also_by) const {
    const uint64_t next = std::min(next_deadline(), also_by);
    if (next == UINT64_MAX) return -1;
    const uint64_t now = now_ns();
    return next <= now ? 0 : int((next - now + 999'999) / 1'000'000);
}

}  // namespace ptv::servers::arch
