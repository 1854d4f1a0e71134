#include "switch_cost.hpp"

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <limits>
#include <stdexcept>

#include "uthread.hpp"

namespace uthread::lab {

namespace {

uint64_t now_ns() {
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

// Two threads yielding to each other: every yield is one switch.
double yield_ns(uint64_t switches) {
    const uint64_t rounds = switches / 2;
    uint64_t t0 = 0, t1 = 0, other = 0;
    uthread::run([&] {
        uthread::create([&] {
            for (uint64_t i = 0; i < rounds; ++i) {
                ++other;
                uthread::yield();
            }
        });
        uthread::yield();  // let the other thread start before timing
        t0 = now_ns();
        for (uint64_t i = 0; i < rounds; ++i) uthread::yield();
        t1 = now_ns();
    });
    if (other != rounds) throw std::runtime_error("switch cost: the yields did not alternate");
    return double(t1 - t0) / double(2 * rounds);
}

// One switch of the bare ping-pong, made inside a function as a yield is.
[[gnu::noinline]] void resume_in_call(boost::context::fiber& f) {
    f = std::move(f).resume();
}

// The same ping-pong on Boost.Context alone: no scheduler, no queue.
double bare_ns(uint64_t switches, bool in_call) {
    namespace bc = boost::context;
    const uint64_t rounds = switches / 2;
    uint64_t entered = 0;
    bool stop = false;
    bc::fiber other{[&](bc::fiber&& caller) {
        while (!stop) {
            ++entered;
            if (in_call)
                resume_in_call(caller);
            else
                caller = std::move(caller).resume();
        }
        return std::move(caller);
    }};
    other = std::move(other).resume();  // started, like the yield measurement
    const uint64_t t0 = now_ns();
    if (in_call)
        for (uint64_t i = 0; i < rounds; ++i) resume_in_call(other);
    else
        for (uint64_t i = 0; i < rounds; ++i) other = std::move(other).resume();
    const uint64_t t1 = now_ns();
    stop = true;
    other = std::move(other).resume();
    if (entered != rounds + 1) throw std::runtime_error("switch cost: bare ping-pong broke");
    return double(t1 - t0) / double(2 * rounds);
}

}  // namespace

SwitchCost measure_switch_cost(uint64_t switches, unsigned trials) {
    constexpr double kMax = std::numeric_limits<double>::max();
    SwitchCost best{kMax, kMax, kMax};
    for (unsigned t = 0; t < trials; ++t) {
        best.bare_call_ns = std::min(best.bare_call_ns, bare_ns(switches, true));
        best.bare_inline_ns = std::min(best.bare_inline_ns, bare_ns(switches, false));
        best.yield_ns = std::min(best.yield_ns, yield_ns(switches));
    }
    return best;
}

}  // namespace uthread::lab
