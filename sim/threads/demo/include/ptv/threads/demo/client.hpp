// `ptv threads demo client`: a multithreaded client hides network latency
// (ch. 3.2, "Multithreaded clients"). A small local TCP server answers each
// request after a fixed latency; the client fetches K documents one after
// another, then with K kernel threads, then with K fibers on one kernel
// thread doing non-blocking socket I/O with fiber-aware waits. The requests
// overlap in the last two, so K latencies cost about one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::trace {
class TraceWriter;
}

namespace ptv::threads::demo {

struct ClientOptions {
    int documents = 8;          // K documents to fetch
    int latency_ms = 50;        // the server's delay before each answer
    int document_bytes = 8192;  // size of each document
};

// Throws ptv::UsageError naming the bad value.
void validate(const ClientOptions& options);

// One document fetched: when each step ended (CLOCK_MONOTONIC ns).
struct Fetch {
    int document = 0;
    uint64_t start_ns = 0, sent_ns = 0, first_byte_ns = 0, done_ns = 0;
    size_t bytes = 0;
};

struct ClientRun {
    std::string name;  // "sequential", "threads", "fibers"
    int kernel_threads = 1;
    int concurrent = 1;  // threads or fibers fetching at once
    uint64_t start_ns = 0, end_ns = 0;
    double total_ms = 0;
    std::vector<Fetch> fetches;  // by document
};

// What the server did for one connection.
struct ServedRequest {
    int document = -1;
    uint64_t request_ns = 0, reply_ns = 0;
};

struct ClientResult {
    ClientOptions options;
    std::vector<ClientRun> runs;  // sequential, threads, fibers
    double speedup_threads = 0;   // sequential / threads
    double speedup_fibers = 0;    // sequential / fibers
    std::vector<ServedRequest> served;
};

ClientResult run_client_demo(const ClientOptions& options);

std::string render_table(const ClientResult& result);
nlohmann::json to_json(const ClientResult& result);
// `thread` category: pid = run (4 = server), tid = thread or fiber; spans
// for sending the request, waiting for the reply and receiving it.
void write_trace(const ClientResult& result, ptv::trace::TraceWriter& trace);

}  // namespace ptv::threads::demo
