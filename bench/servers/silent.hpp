// The silent-connections scenario of bench-servers: connections that
// connect and say nothing, and the latency of fresh requests made one after
// another while they are held (Fig. 3-3's dispatcher hands a worker a
// request, not a connection that may never speak).
#pragma once

#include <string>

namespace bench_servers {

struct SilentResult {
    int silent = 0;     // silent connections opened
    int held = 0;       // of them, still open (neither closed nor answered) at the end
    int requests = 0;   // fresh requests made
    int answered = 0;   // of them, answered 200
    double p50_ms = 0;  // nearest-rank median latency of the fresh requests
    double max_ms = 0;
};

// Opens `silent` connections to 127.0.0.1:port that send nothing, gives the
// server 200 ms to accept them, then makes `requests` GETs of `path`, each
// on a new connection after the last is answered, each timed from connect
// to the last byte (a request unanswered within timeout_s counts as
// timeout_s). Closes everything before returning.
SilentResult measure_silent(int port, const std::string& path, int silent, int requests,
                            double timeout_s);

}  // namespace bench_servers
