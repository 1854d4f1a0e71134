// `ptv servers sim`: a discrete-event model of the server architectures
// (ch. 3.3, Fig. 3-3 and its table) for exercises with exact answers, in
// the OSTEP homework style: -s SEED makes a problem, -c prints the answers.
// The rules are written out in sim/servers/sim/README.md; the tests pin
// them.
//
// The model keeps what Fig. 3-3's table is about and nothing else: how many
// requests can be in service at once (slots: 1, K workers, one per
// client), how many CPUs their CPU work can use (1 for a single thread, P
// for many kernel threads or processes), and whether waiting for the disk
// holds a slot (it does for every architecture; only the event-driven ones
// have one slot per connection at no cost).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/servers/arch/architecture.hpp"

namespace ptv::servers::sim {

using arch::Architecture;

struct Config {
    int clients = 4;   // N closed-loop clients
    int requests = 5;  // R requests per client, one after the other
    int cpu = 2;       // ms of CPU per request
    int disk = 10;     // ms of disk read per request (after its CPU)
    int think = 0;     // ms a client waits between a reply and its next request
    int workers = 2;   // K: dispatcher-worker threads, prefork processes
    int cpus = 1;      // P: CPUs of the server machine
    int fork = 1;      // ms of CPU to fork a process (process-per-connection, once per client)
};

inline constexpr int kMaxClients = 64;
inline constexpr int kMaxRequests = 1000;

// Throws ptv::UsageError naming the option out of range.
void validate(const Config& c);

// The problem of seed S (SplitMix64, common/rng.hpp, so that the
// same seed gives the same problem everywhere): 2-5 clients, 2-4 requests,
// 1-4 ms CPU, 0-20 ms disk, K in 1..N, 1-2 CPUs, fork 0-2 ms, think 0.
Config generate(uint64_t seed);

// How an architecture maps onto the model.
struct Shape {
    int slots;                    // requests in service at once (N for one per connection)
    int cpus;                     // CPUs its CPU work can use
    bool fork_each;               // the first request of each client pays --fork
    bool per_connection = false;  // a slot per client connection (its own thread, process,
                                  // state or fiber), not a pool
};
Shape shape(Architecture a, const Config& c);

// One request's life, in ticks (1 tick = 1 ms).
struct RequestTimes {
    int client = 0, index = 0;
    int arrive = 0;     // the client sent it
    int slot = 0;       // it got a worker (thread, process, or its connection's state)
    int worker = 0;     // which one: a pool's lowest-numbered idle worker, or its client's own
    int cpu_start = 0;  // on a CPU
    int cpu_end = 0;    // its CPU work done; the disk read starts
    int done = 0;       // the disk read done; the reply is sent
    int cpu = 0;        // which CPU
    int cpu_ticks = 0;  // CPU it needed (cpu, plus fork for a first request under fork_each)
    int response() const { return done - arrive; }
};

struct Result {
    Architecture arch;
    Shape shape;
    std::vector<RequestTimes> requests;  // ordered by client, then index
    int makespan = 0;                    // tick at which the last reply is sent
    int64_t cpu_busy = 0;                // CPU ticks used
    int machine_cpus = 1;                // P
    double throughput() const;           // requests per second: N*R*1000 / makespan
    double mean_response() const;        // ms
    double utilisation() const;          // of the machine: cpu_busy / (P * makespan)
    int last_done(int client) const;
};

Result simulate(Architecture a, const Config& c);

}  // namespace ptv::servers::sim
