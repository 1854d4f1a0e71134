// `ptv threads measure`: what fibers, kernel threads and processes cost on
// this machine, in the layout of Anderson et al. (TOCS 1992) Table 1, with
// the context switch of Fig. 3-1 (sim/threads/measure does the measuring).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/threads/measure/measure.hpp"
#include "ptv/threads/measure/report.hpp"

namespace ptv::cli {

namespace {

namespace m = ptv::threads::measure;

struct MeasureOptions {
    bool json = false;
    uint64_t iterations = m::kDefaultIterations;
    unsigned trials = 5;
    std::string trace_path;
};

int track(m::Kind kind) {
    return int(kind) + 1;
}

// The trace (category `thread`): one span per trial of every cell on a
// track per kind of thread, then a short sample of Null Forks, each one's
// life from the create call to join/wait returning, with an instant where
// its body started running.
void write_trace(trace::TraceWriter& w, const m::Results& r) {
    uint64_t base = UINT64_MAX;
    for (const auto& c : r.cells)
        for (const auto& t : c.trials) base = std::min(base, t.start_ns);
    auto us = [&](uint64_t ns) { return ns >= base ? double(ns - base) / 1e3 : 0.0; };
    w.process_name(1, "ptv threads measure: trials");
    w.process_name(2, "ptv threads measure: Null Fork sample");
    for (m::Kind k : m::kKinds) {
        w.thread_name(1, track(k), std::string(m::label(k)));
        w.thread_sort_index(1, track(k), track(k));
        w.thread_name(2, track(k), std::string(m::label(k)));
        w.thread_sort_index(2, track(k), track(k));
    }
    for (const auto& c : r.cells)
        for (const auto& t : c.trials)
            w.complete("thread", m::label(c.op), 1, track(c.kind), us(t.start_ns),
                       double(t.run.ns) / 1e3,
                       {{"iterations", c.iterations},
                        {"ns_per_op", t.run.ns_per_op()},
                        {"handoffs", t.run.handoffs}});
    for (m::Kind k : m::kKinds) {
        const std::string life = std::string(m::key(k)) + " lifetime";
        for (const m::Lifetime& l : m::sample_lifetimes(k, 8)) {
            w.complete("thread", life, 2, track(k), us(l.created_ns),
                       double(l.joined_ns - l.created_ns) / 1e3);
            w.instant("thread", "body runs", 2, track(k), us(l.started_ns));
        }
    }
    w.metadata("command", "ptv threads measure");
    w.metadata("results", m::to_json(r));
}

int run_measure(const MeasureOptions& o) {
    // Open the trace first: a bad path is the user's to fix before we spend
    // seconds measuring.
    std::optional<trace::TraceWriter> trace;
    if (!o.trace_path.empty()) trace.emplace(trace::TraceWriter::open(o.trace_path));

    m::Options opts;
    opts.iterations = o.iterations;
    opts.trials = o.trials;
    const bool tty = ::isatty(2);
    if (tty)
        opts.progress = [&](const m::Cell& c, unsigned t) {
            std::fprintf(stderr, "\r\033[Ktrial %u/%u: %s, %s", t + 1, o.trials,
                         std::string(m::label(c.op)).c_str(),
                         std::string(m::label(c.kind)).c_str());
        };
    const m::Results r = m::measure_all(opts);
    if (tty) std::fprintf(stderr, "\r\033[K");

    if (o.json)
        std::printf("%s\n", m::to_json(r).dump(2).c_str());
    else
        std::printf("%s", m::render_table(r).c_str());
    if (trace) {
        write_trace(*trace, r);
        if (!trace->finish())
            throw std::runtime_error("writing the trace " + o.trace_path + " failed");
    }
    return 0;
}

}  // namespace

Commands threads_measure_commands(CLI::App& threads) {
    auto o = std::make_shared<MeasureOptions>();
    auto* cmd = threads.add_subcommand(
        "measure",
        "measure Null Fork, Signal-Wait and a context switch for fibers, kernel threads and "
        "processes on this machine, beside Anderson et al. 1992");
    cmd->add_flag("--json", o->json, "print the results as JSON");
    cmd->add_option("--iterations", o->iterations,
                    "N: iterations per trial of process Null Fork; cheaper measurements run "
                    "proportionally more (x10 to x1000)")
        ->check(CLI::Range(uint64_t(1), uint64_t(100000)))
        ->capture_default_str();
    cmd->add_option("--trials", o->trials, "trials per measurement (the median is reported)")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    cmd->add_option("--trace", o->trace_path, "write a Chrome trace (Perfetto) to FILE");
    return {{cmd, [o] { return run_measure(*o); }}};
}

}  // namespace ptv::cli
