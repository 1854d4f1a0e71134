// `ptv servers load`: a load generator for HTTP/1.1 servers (ours, nginx,
// anything on loopback).
//
// Closed loop (default): C clients, each sends a request, waits for the
// reply, sends the next -- the offered load adapts to the server, as with
// wrk. Open loop (--rate R): requests are due at fixed times, R per second
// in all, whatever the server does; a due request waits for a free client
// connection, and its latency counts from when it was due (so a slow server
// is not hidden by the clients slowing down: "coordinated omission").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::servers::load {

struct Url {
    std::string host;  // as given ("127.0.0.1", "localhost")
    uint32_t address;  // IPv4, network order
    int port = 80;
    std::string path = "/";
};
// "http://HOST[:PORT][/PATH]" with HOST an IPv4 address or localhost;
// throws ptv::UsageError.
Url parse_url(const std::string& text);

struct LoadOptions {
    Url url;
    // Paths to request instead of url.path, each client cycling through
    // them in its own order drawn from `seed` (compare uses a tree of files).
    std::vector<std::string> paths;
    int clients = 16;
    double duration_s = 5;
    double rate = 0;       // requests per second in all; 0: closed loop
    double timeout_s = 5;  // a request unanswered this long is an error
    uint64_t seed = 1;
    std::function<bool()> cancelled;  // checked often: true ends the run early (Ctrl-C)
};

struct LoadResult {
    std::string url;
    int clients = 0;
    double duration_s = 0, rate = 0;
    uint64_t completed = 0;  // replies received in full, any status
    uint64_t errors = 0;     // refused, reset, cut short or timed out
    uint64_t connections = 0;
    uint64_t bytes = 0;                  // of replies, headers included
    std::map<int, uint64_t> statuses;    // status -> count
    std::vector<uint64_t> latencies_ns;  // sorted ascending
    double throughput() const { return duration_s > 0 ? completed / duration_s : 0; }
    // Nearest-rank percentile of the latencies, in milliseconds.
    double latency_ms(double p) const;
    double mean_latency_ms() const;
    uint64_t non_2xx() const;
};

// Runs the load; `tick`, if given, is called about ten times a second with
// the elapsed fraction and the requests completed so far.
LoadResult run_load(const LoadOptions& o, const std::function<void(double, uint64_t)>& tick = {});

// Throws ptv::UsageError for options out of range.
void validate(const LoadOptions& o);

std::string render(const LoadResult& r);
nlohmann::json to_json(const LoadResult& r);

}  // namespace ptv::servers::load
