// bench-dispatch: the dispatch strategies of the notification dispatcher
// side by side in one run, without KVM (Tanenbaum & van Steen ch. 3: the
// iterative server, Fig. 3-3's dispatcher/worker pool, the finite-state
// machine). First the round trip from a doorbell to its completion, over
// the limit of a bare thread that answers the doorbell itself; then 64
// outstanding requests of a 10 ms disk, each strategy over inline. Ratios
// printed, targets marked; it exits 0 whatever the numbers are (a
// measurement, not a test).
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "measure.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/percentile.hpp"
#include "ptv/common/table.hpp"

namespace {

using ptv::bench::kOutstandingRows;
using ptv::bench::kRoundTripRows;

// A target on a ratio: at most (an overhead) or at least (a speed-up).
struct Target {
    bool at_least;
    double bound;
    bool met(double ratio) const { return at_least ? ratio >= bound : ratio <= bound; }
    std::string text() const { return fmt::format("{} {:g}x", at_least ? "≥" : "≤", bound); }
};

std::optional<Target> round_trip_target(const std::string& row) {
    if (row == "event") return Target{false, 1.3};
    if (row.starts_with("pool:")) return Target{false, 1.5};
    return std::nullopt;
}

std::optional<Target> outstanding_target(const std::string& row) {
    if (row == "event" || row == "pool:16") return Target{true, 10};
    return std::nullopt;
}

std::string label(const std::string& row) {
    if (row == "bare") return "bare loop (the limit)";
    if (row == "inline") return "inline (the client's thread runs the job)";
    return row;
}

std::string host_line() {
    std::string model;
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; model.empty() && std::getline(in, line);)
        if (line.starts_with("model name"))
            model = line.substr(std::min(line.size(), line.find(':') + 2));
    utsname u{};
    ::uname(&u);
    return fmt::format("host: Linux {} {}, {} CPUs, {}", u.release, u.machine,
                       ::sysconf(_SC_NPROCESSORS_ONLN), model.empty() ? "unknown CPU" : model);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return ptv::percentile(v, 50);
}

std::string ratio_text(double x) {
    return x < 10 ? fmt::format("{:.2f}x", x) : fmt::format("{:.1f}x", x);
}

}  // namespace

int main(int argc, char** argv) {
    unsigned round_trips = 20000, trials = 5, jobs = 64, job_trials = 3;
    double latency_ms = 10;
    bool quick = false, json = false;
    CLI::App app{
        "bench-dispatch: the dispatch strategies (inline, pool:N, event) without KVM: doorbell "
        "to completion round trip over a bare loop, and outstanding jobs of a slow disk over "
        "inline"};
    app.add_option("--round-trips", round_trips, "round trips per row, over all trials")
        ->check(CLI::Range(10u, 10'000'000u))
        ->capture_default_str();
    app.add_option("--trials", trials, "trials of the round trips, rows interleaved")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    app.add_option("--jobs", jobs, "outstanding jobs, one doorbell write each")
        ->check(CLI::Range(1u, 4096u))
        ->capture_default_str();
    app.add_option("--latency-ms", latency_ms, "each outstanding job's latency")
        ->check(CLI::Range(0.01, 1000.0))
        ->capture_default_str();
    app.add_option("--job-trials", job_trials, "trials of the outstanding jobs, rows interleaved")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    app.add_flag("--quick", quick,
                 "a smoke test of a second or two: 1000 round trips, 1 trial, 2 ms jobs");
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-dispatch");
    if (quick) {
        round_trips = 1000;
        trials = 1;
        job_trials = 1;
        latency_ms = 2;
    }
    const uint64_t latency_ns = uint64_t(latency_ms * 1e6);

    try {
        // Trials interleave the rows, so a busy spell of the host hits all.
        std::map<std::string, std::vector<double>> rt;
        for (unsigned t = 0; t < trials; ++t)
            for (const std::string& row : kRoundTripRows) {
                std::vector<double> ns =
                    ptv::bench::round_trips(row, std::max(1u, round_trips / trials));
                rt[row].insert(rt[row].end(), ns.begin(), ns.end());
            }
        std::map<std::string, std::vector<double>> out_ns;
        std::map<std::string, uint64_t> out_waiting;
        for (unsigned t = 0; t < job_trials; ++t)
            for (const std::string& row : kOutstandingRows) {
                const auto o = ptv::bench::outstanding_jobs(row, jobs, latency_ns);
                out_ns[row].push_back(o.ns);
                out_waiting[row] = std::max(out_waiting[row], o.max_waiting);
            }

        for (auto& [row, v] : rt) std::sort(v.begin(), v.end());
        const double limit_us = ptv::percentile(rt["bare"], 50) / 1e3;
        const double inline_ms = median(out_ns["inline"]) / 1e6;
        unsigned met = 0, targets = 0;
        nlohmann::json j_rt = nlohmann::json::array(), j_out = nlohmann::json::array();

        ptv::Table t1({"path", "median µs", "p99 µs", "over limit", "target", "met?"});
        t1.right_align({1, 2, 3});
        for (const std::string& row : kRoundTripRows) {
            const double med = ptv::percentile(rt[row], 50) / 1e3;
            const double p99 = ptv::percentile(rt[row], 99) / 1e3;
            const double ratio = med / limit_us;
            const auto target = round_trip_target(row);
            const bool ok = target && target->met(ratio);
            targets += bool(target);
            met += ok;
            t1.row({label(row), fmt::format("{:.1f}", med), fmt::format("{:.1f}", p99),
                    ratio_text(ratio),
                    target ? target->text() : (row == "bare" ? "limit" : "shown"),
                    target ? (ok ? "yes" : "no") : "-"});
            j_rt.push_back({{"row", row},
                            {"median_us", med},
                            {"p99_us", p99},
                            {"over_limit", ratio},
                            {"max_ratio", target ? nlohmann::json(target->bound) : nullptr},
                            {"met", target ? nlohmann::json(ok) : nullptr}});
        }

        ptv::Table t2({"strategy", "all done ms", "max waiting", "speed-up over inline",
                       "over limit", "target", "met?"});
        t2.right_align({1, 2, 3, 4});
        t2.row({"limit: one latency (every wait overlapped)", fmt::format("{:.1f}", latency_ms),
                "-", ratio_text(inline_ms / latency_ms), "1.00x", "limit", "-"});
        for (const std::string& row : kOutstandingRows) {
            const double ms = median(out_ns[row]) / 1e6;
            const double speed_up = inline_ms / ms;
            const auto target = outstanding_target(row);
            const bool ok = target && target->met(speed_up);
            targets += bool(target);
            met += ok;
            t2.row({row, fmt::format("{:.1f}", ms), std::to_string(out_waiting[row]),
                    ratio_text(speed_up), ratio_text(ms / latency_ms),
                    target ? target->text() : (row == "inline" ? "reference" : "shown"),
                    target ? (ok ? "yes" : "no") : "-"});
            j_out.push_back({{"row", row},
                             {"all_done_ms", ms},
                             {"max_waiting", out_waiting[row]},
                             {"speed_up_over_inline", speed_up},
                             {"min_ratio", target ? nlohmann::json(target->bound) : nullptr},
                             {"met", target ? nlohmann::json(ok) : nullptr}});
        }

        if (json) {
            const nlohmann::json j = {
                {"benchmark", "dispatch"},  {"host", host_line()}, {"round_trips", round_trips},
                {"trials", trials},         {"jobs", jobs},        {"latency_ms", latency_ms},
                {"job_trials", job_trials}, {"round_trip", j_rt},  {"outstanding", j_out},
                {"targets_met", met},       {"targets", targets}};
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf("bench-dispatch%s\n%s\n\n",
                    quick ? " --quick (a smoke test: numbers rough)" : "", host_line().c_str());
        std::printf(
            "Doorbell to completion: the client writes the doorbell eventfd, the strategy's "
            "ring()\nsubmits one job with no latency that writes the completion eventfd, the "
            "client reads it.\n%u round trips per row in %u interleaved trial(s); median and p99 "
            "over all.\n\n",
            round_trips / trials * trials, trials);
        std::printf("%s\n", t1.render().c_str());
        std::printf(
            "%u outstanding jobs of %g ms, one doorbell write each; time until every completion "
            "was read,\nmedian of %u interleaved trial(s). max waiting: the most jobs waiting "
            "out their latency at once.\n\n",
            jobs, latency_ms, job_trials);
        std::printf("%s\n", t2.render().c_str());
        std::printf("targets met: %u of %u\n", met, targets);
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-dispatch: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-dispatch: measurement failed: %s\n", e.what());
        return 1;
    }
}
