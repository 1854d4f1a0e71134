#include "ptv/vnd/dispatch_strategy.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "ptv/common/error.hpp"

namespace ptv::vnd {

void DispatchStrategy::watch(int, Ring) {
    throw std::logic_error("this dispatch strategy takes no doorbells");
}

void InlineDispatch::submit(vmb::IoJob job) {
    if (job.latency_ns) std::this_thread::sleep_for(std::chrono::nanoseconds(job.latency_ns));
    job.run();
    jobs_run_.fetch_add(1, std::memory_order_relaxed);
}

std::unique_ptr<DispatchStrategy> make_strategy(std::string_view spec) {
    if (spec == "inline") return std::make_unique<InlineDispatch>();
    throw UsageError("unknown dispatch strategy '" + std::string(spec) +
                     "': use inline, pool:N (N worker threads, 1 to 64) or event");
}

}  // namespace ptv::vnd
