// The two measurements of bench-dispatch, without KVM: the doorbell's
// eventfd and the completion's eventfd stand for the guest's ioeventfd
// and the wake of its vCPU, a job for the PV disk's request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::bench {

// The rows of both tables: "bare" is the limit of the round trip (a thread
// that reads the doorbell and writes the completion itself); the others
// are make_strategy() names.
inline const std::vector<std::string> kRoundTripRows = {"bare",   "event",   "pool:1",
                                                        "pool:4", "pool:16", "inline"};
inline const std::vector<std::string> kOutstandingRows = {"inline", "pool:1", "pool:4", "pool:16",
                                                          "event"};

// `count` round trips, doorbell to completion, through `row`: the client
// rings and waits for the completion; the strategy's ring() submits one
// job with no latency that writes the completion. Inline has no doorbell
// (the guest's write is an exit): the client's own thread submits the job,
// which runs before submit() returns. Nanoseconds per round trip.
std::vector<double> round_trips(const std::string& row, unsigned count);

// `jobs` doorbell writes, each ring()'s job `latency_ns` long; the time from
// the first write until every job's completion was read, and the strategy's
// max_waiting.
struct Outstanding {
    double ns = 0;
    uint64_t max_waiting = 0;
};
Outstanding outstanding_jobs(const std::string& row, unsigned jobs, uint64_t latency_ns);

}  // namespace ptv::bench
