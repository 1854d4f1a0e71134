#include "ptv/worker/periodic.hpp"

namespace ptv::worker {

PeriodicThread::PeriodicThread(std::chrono::nanoseconds period, std::function<void()> tick) {
    thread_ = std::thread([this, period, tick = std::move(tick)] {
        using Clock = std::chrono::steady_clock;
        auto next = Clock::now() + period;
        std::unique_lock lock(mutex_);
        while (!cv_.wait_until(lock, next, [this] { return done_; })) {
            lock.unlock();
            tick();
            lock.lock();
            ++ticks_;
            const auto now = Clock::now();
            next += period;
            if (next <= now) next = now + period;  // overran: skip, do not burst
        }
    });
}

PeriodicThread::~PeriodicThread() {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

}  // namespace ptv::worker
