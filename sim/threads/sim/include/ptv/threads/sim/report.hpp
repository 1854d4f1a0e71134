// What `ptv threads sim` prints and writes: the problem and its questions
// (OSTEP style), the answers with the per-tick table, JSON, the Chrome trace
// (category `thread`) and the Graphviz mapping.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/common/trace.hpp"
#include "ptv/threads/sim/simulator.hpp"

namespace ptv::threads::sim {

struct Problem {
    Config cfg;
    Workload workload;
    uint64_t seed = 0;
    bool generated = false;  // the workload came from the seed
};

// The ticks the questions ask about: up to `count` distinct ticks in
// [0, makespan), chosen from the seed, ascending.
std::vector<int> question_ticks(uint64_t seed, int makespan, int count = 3);

// Text without -c: parameters, workload, questions.
std::string render_problem(const Problem& p, const Result& r);
// Text with -c: the answers and the per-tick table.
std::string render_answers(const Problem& p, const Result& r);
// The per-tick table alone (t, user threads, LWPs for many-to-many, CPUs).
std::string render_table(const Problem& p, const Result& r);
// How a CPU, thread or LWP cell prints in the table ("U2", "RUN", "idle").
std::string cpu_cell(Cell c);
std::string lwp_cell(Cell c);

// JSON: the problem and questions; with answers, the results and ticks.
nlohmann::json to_json(const Problem& p, const Result& r, bool answers);

// Chrome trace: pid 1 = this simulation; tid 1+i = user thread Ui, 101+j =
// LWP/kernel entity j, 201+c = CPU c; 1 tick = 1000 µs. Throws
// ptv::UsageError if the file cannot be written.
void write_trace(const std::string& path, const Problem& p, const Result& r);
// The same into an open writer (so a caller can open the file before it
// prints anything); finish() is left to the caller.
void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r);

// Graphviz: every mapping edge used during the run (user thread -> LWP ->
// CPU; activations: user thread -> CPU), labelled with its compute ticks.
std::string to_dot(const Problem& p, const Result& r);

}  // namespace ptv::threads::sim
