// What `ptv migrate sim` prints and writes: the problem and its questions,
// the answers (the per-round table, the totals, Clark et al.'s plateau),
// JSON, and a Chrome trace of category `migration`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ptv/common/trace.hpp"
#include "ptv/migration/sim/problem.hpp"

namespace ptv::migration::sim {

std::string render_problem(const Problem& p);
std::string render_answers(const Problem& p, const Result& r);
// The one-line observation when the dirty set plateaued ("" if not).
std::string plateau_observation(const Result& r);

nlohmann::json to_json(const Problem& p, const Result& r, bool answers);

// pid 1 = the migration; tid 1 = the source (X "round" per pre-copy round
// with args round, pages_sent, pages_dirtied; X "stop-and-copy" for the
// pause of pre-copy and stop-and-copy), tid 2 = the guest (X "downtime",
// X "degraded" from the resume until the last page arrives, instant
// "remote-fault" per fault with args page, wait_us). Times in µs.
void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r);

}  // namespace ptv::migration::sim
