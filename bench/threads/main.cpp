// bench-threads: what a thread costs at each level, side by side in one run
// (chapter 3.1; Anderson et al., TOCS 1992, Table 1; Fig. 3-1), and how
// close Boost.Fiber's switch comes to the bare Boost.Context switch it is
// built on. Ratios printed, targets marked; it exits 0 whatever the numbers
// are (a measurement, not a test).
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <string>
#include <vector>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/threads/measure/measure.hpp"
#include "ptv/threads/measure/report.hpp"

namespace {

namespace m = ptv::threads::measure;

// One target: a ratio against the fiber column, with Anderson et al.'s 1992
// ratio beside it.
struct Target {
    std::string key, label;
    double fiber_ns, peer_ns;
    double ratio;   // the figure the target is about
    bool at_least;  // ratio ≥ bound (speed-up) or ≤ bound (overhead)
    double bound;
    double anderson;  // Anderson 1992's ratio, where there is one (else < 0)
    bool met() const { return at_least ? ratio >= bound : ratio <= bound; }
};

std::vector<Target> targets(const m::Results& r) {
    using m::Kind, m::Op;
    const double fork_fiber = r.median_ns(Op::NullFork, Kind::Fiber);
    const double fork_thread = r.median_ns(Op::NullFork, Kind::KernelThread);
    const double fork_process = r.median_ns(Op::NullFork, Kind::Process);
    const double yield = r.median_ns(Op::ContextSwitch, Kind::Fiber);
    const double bare = r.median_ns(Op::ContextSwitch, Kind::BareContext);
    return {
        {"null_fork_thread_over_fiber", "Null Fork: std::thread / fiber", fork_fiber, fork_thread,
         fork_thread / fork_fiber, true, 20, 948.0 / 34},
        {"null_fork_process_over_fiber", "Null Fork: fork+wait / fiber", fork_fiber, fork_process,
         fork_process / fork_fiber, true, 200, 11300.0 / 34},
        {"switch_fiber_over_bare_context", "switch: fiber yield / bare Boost.Context", yield, bare,
         yield / bare, false, 2, -1},
    };
}

std::string ns_text(double ns) {
    return m::us_text(ns / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t iterations = m::kDefaultIterations;
    unsigned trials = 7;
    bool json = false;
    CLI::App app{
        "bench-threads: Null Fork, Signal-Wait and the context switch for fibers, kernel threads "
        "and processes beside Anderson et al. 1992, and the fiber switch against a bare "
        "Boost.Context switch"};
    app.add_option("--iterations", iterations,
                   "N: iterations per trial of process Null Fork; cheaper measurements run "
                   "proportionally more")
        ->check(CLI::Range(uint64_t(1), uint64_t(100000)))
        ->capture_default_str();
    app.add_option("--trials", trials, "trials per measurement (the median is reported)")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-threads");

    try {
        m::Options opts;
        opts.iterations = iterations;
        opts.trials = trials;
        opts.bare_context = true;  // the fiber switch's floor, in the same run
        const bool tty = ::isatty(2);
        if (tty)
            opts.progress = [&](const m::Cell& c, unsigned t) {
                std::fprintf(stderr, "\r\033[Ktrial %u/%u: %s, %s", t + 1, trials,
                             std::string(m::label(c.op)).c_str(),
                             std::string(m::label(c.kind)).c_str());
            };
        const m::Results r = m::measure_all(opts);
        if (tty) std::fprintf(stderr, "\r\033[K");
        const std::vector<Target> ts = targets(r);

        if (json) {
            nlohmann::json j = m::to_json(r);
            j["benchmark"] = "threads";
            nlohmann::json a = nlohmann::json::array();
            for (const Target& t : ts)
                a.push_back({{"comparison", t.key},
                             {"fiber_ns", t.fiber_ns},
                             {"peer_ns", t.peer_ns},
                             {"ratio", t.ratio},
                             {t.at_least ? "min_ratio" : "max_ratio", t.bound},
                             {"anderson_1992_ratio", t.anderson > 0 ? nlohmann::json(t.anderson)
                                                                    : nlohmann::json(nullptr)},
                             {"met", t.met()}});
            j["targets"] = a;
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf("%s", m::render_table(r).c_str());
        std::printf("\nTargets: µs per operation, median of %u trial(s)\n\n", trials);
        ptv::Table t({"comparison", "fiber µs", "peer µs", "ratio", "1992", "target", "met?"});
        t.right_align({1, 2, 3, 4});
        for (const Target& x : ts)
            t.row({x.label, ns_text(x.fiber_ns), ns_text(x.peer_ns), m::ratio_text(x.ratio),
                   x.anderson > 0 ? m::ratio_text(x.anderson) : "-",
                   fmt::format("{} {:g}x", x.at_least ? "≥" : "≤", x.bound),
                   x.met() ? "yes" : "no"});
        std::printf("%s", t.render().c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-threads: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-threads: measurement failed: %s\n", e.what());
        return 1;
    }
}
