// The cost of a switch between two user-level threads, beside the cost of
// a bare Boost.Context switch measured in the same run: the floor no thread
// package built on it can go below (what a yield adds is the scheduler's
// work: the ready queue, the bookkeeping).
#pragma once

#include <cstdint>

namespace uthread::lab {

// Two floors. A yield is a function call that returns on another stack, so
// the return can never be predicted (the CPU's return stack buffer holds
// the caller of the thread that left, not of the one that arrives): a bare
// resume() made inside a function, as a yield makes it, pays that too, and
// is the floor a thread package's switch is compared with. A resume()
// inlined into a loop that never returns pays none of it: the bare switch
// of bench-threads, shown beside.
struct SwitchCost {
    double yield_ns = 0;        // per switch: two threads calling uthread::yield()
    double bare_call_ns = 0;    // per switch: resume() ping-pong inside a called function
    double bare_inline_ns = 0;  // per switch: resume() ping-pong inlined into the loop
    double ratio() const { return yield_ns / bare_call_ns; }
    double ratio_inline() const { return yield_ns / bare_inline_ns; }
};

// `trials` interleaved trials of `switches` switches each; the fastest
// trial of each kind counts (the one a busy host disturbed least).
SwitchCost measure_switch_cost(uint64_t switches, unsigned trials);

}  // namespace uthread::lab
