// `ptv servers sim --arch A --dot/--svg/--png FILE`: one architecture's
// structure as Graphviz, annotated with what one model run computed. For
// dispatcher-worker it is Fig. 3-3 (Tanenbaum & van Steen): requests from
// the network, the dispatcher thread, the request queue, the worker
// threads and the disk; every other architecture draws its own structure
// the same way (README.md, "Drawing").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/servers/sim/model.hpp"
#include "ptv/servers/sim/report.hpp"

namespace ptv::servers::sim {

// Waiting, from one run's request times.
struct Queueing {
    int waited_for_worker = 0;   // requests that got a worker after they arrived
    int64_t worker_wait_ms = 0;  // their waits, added up
    int longest = 0;             // most requests waiting for a worker at one instant
    int waited_for_cpu = 0;      // requests that got a CPU after they got a worker
    int64_t cpu_wait_ms = 0;     // those waits, added up
};
Queueing queueing(const Result& r);

// What each worker (Shape::slots of them; per connection: one per client) did.
struct WorkerLoad {
    int requests = 0;  // requests it served
    int64_t held = 0;  // ms it was taken: from getting a request to its reply
};
std::vector<WorkerLoad> worker_loads(const Result& r, const Config& c);

// The drawing of `r` (one architecture of problem `p`) in the DOT language.
std::string to_dot(const Problem& p, const Result& r);

}  // namespace ptv::servers::sim
