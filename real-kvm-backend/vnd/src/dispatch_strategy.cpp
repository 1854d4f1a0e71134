#include "ptv/vnd/dispatch_strategy.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vnd/event_dispatch.hpp"
#include "ptv/vnd/pool_dispatch.hpp"

namespace ptv::vnd {

void DispatchStrategy::wait_latency(uint64_t latency_ns) const {
    // Short slices: a hurry is seen within one, and a slice costs a wake-up
    // of a thread that has nothing else to do.
    constexpr uint64_t kSliceNs = 5'000'000;
    const uint64_t due = now_ns() + latency_ns;
    for (uint64_t now = now_ns(); now < due && !hurried(); now = now_ns())
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(due - now, kSliceNs)));
}

void DispatchStrategy::watch(int, Ring) {
    throw std::logic_error("this dispatch strategy takes no doorbells");
}

void InlineDispatch::submit(vmb::IoJob job) {
    if (stopped_.load(std::memory_order_relaxed))
        throw std::logic_error("a job submitted to a stopped dispatch strategy");
    waiting_.enter();
    wait_latency(job.latency_ns);
    waiting_.leave();
    job.run();
    jobs_run_.fetch_add(1, std::memory_order_relaxed);
}

std::unique_ptr<DispatchStrategy> make_strategy(std::string_view spec) {
    if (spec == "inline") return std::make_unique<InlineDispatch>();
    if (spec == "event") return std::make_unique<EventDispatch>();
    if (spec.starts_with("pool:")) {
        const std::string_view digits = spec.substr(5);
        unsigned n = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        const bool number = !digits.empty() && end == digits.data() + digits.size();
        if (number && ec == std::errc() && n >= 1 && n <= PoolDispatch::kMaxWorkers)
            return std::make_unique<PoolDispatch>(n);
        if (number)  // all digits, out of range (or too many for unsigned)
            throw UsageError("dispatch strategy '" + std::string(spec) +
                             "' has the wrong number of worker threads: use pool:N with N from 1 "
                             "to 64");
    }
    throw UsageError("unknown dispatch strategy '" + std::string(spec) +
                     "': use inline, pool:N (N worker threads, 1 to 64) or event");
}

}  // namespace ptv::vnd
