// What `ptv servers sim` prints and writes: the problem and its questions,
// the answers (a summary table, then each architecture's requests), JSON,
// and a Chrome trace of category `request` (1 tick = 1000 µs).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/common/trace.hpp"
#include "ptv/servers/sim/model.hpp"

namespace ptv::servers::sim {

struct Problem {
    Config cfg;
    std::vector<Architecture> archs;
    uint64_t seed = 0;
    bool generated = false;  // from -s
};

// Question 2 asks when this client's last request completes under this
// architecture (both drawn from the seed).
struct Question {
    Architecture arch;
    int client;
};
Question question(const Problem& p);

std::string render_problem(const Problem& p);
std::string render_answers(const Problem& p, const std::vector<Result>& results);
// One architecture's requests, one row each (with -c).
std::string render_requests(const Result& r);

nlohmann::json to_json(const Problem& p, const std::vector<Result>& results, bool answers);

// pid 1+i = architecture i, tid 1+c = client c; per request "X" spans
// `request` (arrive..done) with `queueing` (arrive..cpu start), `cpu` and
// `disk` inside it.
void write_trace(trace::TraceWriter& tw, const Problem& p, const std::vector<Result>& results);

}  // namespace ptv::servers::sim
