#include "measure.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/vnd/dispatch_strategy.hpp"

namespace ptv::bench {

namespace {

// A blocking eventfd, as KVM's ioeventfd and a vCPU's wake-up are.
class EventFd {
  public:
    EventFd() : fd_(::eventfd(0, EFD_CLOEXEC)) {
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    EventFd(const EventFd&) = delete;
    EventFd& operator=(const EventFd&) = delete;
    ~EventFd() { ::close(fd_); }
    int fd() const { return fd_; }
    void add(uint64_t n = 1) const {
        while (::write(fd_, &n, sizeof n) < 0)
            if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "write");
    }
    // Blocks until the counter is non-zero; returns and clears it.
    uint64_t take() const {
        uint64_t n = 0;
        while (::read(fd_, &n, sizeof n) < 0)
            if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "read");
        return n;
    }

  private:
    int fd_;
};

constexpr unsigned kWarmUp = 100;  // round trips before the timed ones

// The client: rings (or calls `ring`), waits for the completion.
template <class Ring>
std::vector<double> client(const EventFd& done, unsigned count, Ring ring) {
    std::vector<double> ns;
    ns.reserve(count);
    for (unsigned i = 0; i < kWarmUp + count; ++i) {
        const uint64_t t0 = now_ns();
        ring();
        done.take();
        if (i >= kWarmUp) ns.push_back(double(now_ns() - t0));
    }
    return ns;
}

// The limit: one thread that does nothing but answer the doorbell.
std::vector<double> bare_loop(unsigned count) {
    EventFd bell, done;
    std::atomic<bool> quit{false};
    std::thread responder([&] {
        for (;;) {
            const uint64_t n = bell.take();
            if (quit.load(std::memory_order_relaxed)) return;
            done.add(n);
        }
    });
    std::vector<double> ns = client(done, count, [&] { bell.add(); });
    quit = true;
    bell.add();
    responder.join();
    return ns;
}

}  // namespace

std::vector<double> round_trips(const std::string& row, unsigned count) {
    if (row == "bare") return bare_loop(count);
    EventFd bell, done;
    auto s = vnd::make_strategy(row);
    auto complete = [&done] { done.add(); };
    if (!s->takes_doorbells())
        return client(done, count, [&] { s->submit({.latency_ns = 0, .run = complete}); });
    s->watch(bell.fd(), [&](uint64_t n) {
        for (uint64_t i = 0; i < n; ++i) s->submit({.latency_ns = 0, .run = complete});
    });
    s->start();
    std::vector<double> ns = client(done, count, [&] { bell.add(); });
    s->stop();
    return ns;
}

Outstanding outstanding_jobs(const std::string& row, unsigned jobs, uint64_t latency_ns) {
    EventFd bell, done;
    auto s = vnd::make_strategy(row);
    auto complete = [&done] { done.add(); };
    const bool doorbells = s->takes_doorbells();
    if (doorbells) {
        s->watch(bell.fd(), [&](uint64_t n) {
            for (uint64_t i = 0; i < n; ++i) s->submit({.latency_ns = latency_ns, .run = complete});
        });
        s->start();
    }
    const uint64_t t0 = now_ns();
    for (unsigned i = 0; i < jobs; ++i) {
        if (doorbells)
            bell.add();
        else
            s->submit({.latency_ns = latency_ns, .run = complete});
    }
    for (uint64_t completed = 0; completed < jobs;) completed += done.take();
    const double ns = double(now_ns() - t0);
    s->stop();
    if (s->jobs_run() != jobs) throw std::runtime_error(row + " ran a wrong number of jobs");
    return {ns, s->stats().max_waiting};
}

}  // namespace ptv::bench
