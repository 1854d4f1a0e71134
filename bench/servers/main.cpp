// bench-servers: wrk against every server architecture of `ptv servers run`
// and against nginx serving the same directory on loopback, in one run, with
// ratios and targets (bench/README.md). Four scenarios (--scenarios picks):
//   1. small: a small cached file: every architecture and nginx (1 worker
//      process, the same as the fsm's one event thread);
//   2. disk: 10 ms of disk latency on every read (no cache), 64 clients:
//      iterative against dispatcher-worker with 64 workers (Fig. 3-3's
//      point), and the fsm with 64 disk helpers;
//   3. idle: 10,000 idle keep-alive connections held by the fsm (and
//      nginx): RSS;
//   4. silent: 1,000 connections that say nothing, and the latency of fresh
//      requests behind them: the worker pools (dispatcher-worker, prefork)
//      against a 50 ms limit, the fsm and nginx beside them.
// It exits 0 whatever the numbers (a measurement, not a test).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "processes.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"
#include "ptv/servers/arch/architecture.hpp"
#include "silent.hpp"

using namespace bench_servers;
namespace sa = ptv::servers::arch;

namespace {

struct Options {
    int trials = 3;
    double duration_s = 2;
    int connections = 64;
    int idle = 10000;
    int silent = 1000;
    int fresh = 50;
    std::string scenarios = "small,disk,idle,silent";
    bool json = false;
};

const std::vector<std::string> kScenarios = {"small", "disk", "idle", "silent"};

// "small,silent" -> {"small", "silent"}; a name not in kScenarios is a usage error.
std::set<std::string> parse_scenarios(const std::string& list) {
    const auto names = split_names(list, kScenarios, "--scenarios", "scenario");
    return {names.begin(), names.end()};
}

// The silent scenario's limit on a fresh request's latency.
constexpr double kSilentLimitMs = 50;

const std::string kFsmNoValidators = "fsm (no validators)";

struct Row {
    std::string scenario, server;
    std::string workers;
    WrkResult wrk;
};

// Starts `ptv servers run` and returns it with its port.
std::unique_ptr<Child> start_ptv(const std::string& ptv, const std::string& root,
                                 const std::vector<std::string>& extra, int& port) {
    std::vector<std::string> argv = {ptv,      "servers", "run",       "--port", "0",
                                     "--root", root,      "--timeout", "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto c = std::make_unique<Child>(argv, true);
    std::string line = c->first_line(10);
    port = port_in(line);
    if (port <= 0) throw std::runtime_error("ptv servers run did not start: " + line);
    return c;
}

// For ratios far below 1 (a latency against a generous limit).
std::string fine_ratio(double a, double b) {
    return b > 0 ? fmt::format("{:.3f}x", a / b) : "-";
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{
        "bench-servers: wrk against every architecture of `ptv servers run` and against nginx "
        "on loopback, in one run, with ratios and targets"};
    app.add_option("--duration", o.duration_s, "S seconds per wrk run")
        ->check(CLI::Range(1.0, 600.0))
        ->capture_default_str();
    app.add_option("--trials", o.trials,
                   "T interleaved runs per server of the small-file scenario (the median is shown)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    app.add_option("--connections", o.connections, "C connections of wrk")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.add_option("--idle", o.idle, "N idle keep-alive connections for the memory target")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--silent", o.silent, "N silent connections for the silent scenario")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--fresh", o.fresh, "R fresh requests timed behind the silent connections")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--scenarios", o.scenarios,
                   "LIST of scenarios to run, comma-separated: small, disk, idle, silent")
        ->capture_default_str();
    app.add_flag("--json", o.json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-servers");

    try {
        const std::set<std::string> want = parse_scenarios(o.scenarios);
        const bool small = want.count("small"), disk = want.count("disk"),
                   idle_run = want.count("idle"), silent_run = want.count("silent");
        const std::string ptv = ptv_beside();
        if (access(ptv.c_str(), X_OK) != 0)
            throw ptv::UsageError(ptv + " is missing; build the tree first (make build)");
        const std::string wrk = which("wrk"), nginx = which("nginx");
        const bool no_wrk = wrk.empty() && (small || disk);
        if (no_wrk || nginx.empty())
            throw ptv::UsageError(
                no_wrk && nginx.empty()
                    ? "wrk and nginx are needed; install them with scripts/setup.sh --bench"
                    : fmt::format("{} is needed; install it with scripts/setup.sh --bench",
                                  no_wrk ? "wrk" : "nginx"));
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);

        TempDir tmp;
        const std::string root = tmp.path + "/www";
        std::filesystem::create_directory(root);
        {
            std::ofstream f(root + "/small.html");
            f << "<!doctype html><title>small</title><p>" << std::string(1024 - 46, 'x')
              << "</p>\n";
        }
        const int C = o.connections;
        const double D = o.duration_s;
        std::vector<Row> rows;

        // 1. A small cached file. Every server runs `trials` times, the
        //    trials interleaved (a busy spell of a shared host hits all of
        //    them), and the median trial is shown.
        const std::string scenario1 = "small cached file";
        auto small_once = [&](const std::string& name) -> WrkResult {
            if (name == "nginx") {
                int port = free_port();
                Nginx n(nginx, tmp.path + "/nginx", root, port, 1);
                if (!n.ok()) throw std::runtime_error("nginx did not start");
                return run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port), C, D);
            }
            // "fsm (no validators)": the fsm without Last-Modified and ETag,
            // what the validators cost side by side.
            std::vector<std::string> extra = {"--arch", name};
            if (name == kFsmNoValidators) extra = {"--arch", "fsm", "--no-validators"};
            int port = 0;
            auto server = start_ptv(ptv, root, extra, port);
            WrkResult r = run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port), C, D);
            server->stop(SIGTERM, 10);
            return r;
        };
        std::vector<std::string> small_servers;
        if (small) {
            small_servers.push_back("nginx");
            for (sa::Architecture a : sa::all_architectures())
                small_servers.push_back(std::string(sa::to_string(a)));
            small_servers.push_back(kFsmNoValidators);
        }
        std::vector<std::vector<WrkResult>> trials(small_servers.size());
        for (int t = 0; t < o.trials && small; ++t)
            for (size_t i = 0; i < small_servers.size(); ++i) {
                progress(fmt::format("trial {}/{}: {}, small cached file", t + 1, o.trials,
                                     small_servers[i]));
                trials[i].push_back(small_once(small_servers[i]));
            }
        for (size_t i = 0; i < small_servers.size(); ++i) {
            auto& v = trials[i];
            std::sort(v.begin(), v.end(), [](const WrkResult& a, const WrkResult& b) {
                return a.requests_per_s < b.requests_per_s;
            });
            std::string workers = "1 process";
            if (i > 0) {
                const std::string arch =
                    small_servers[i] == kFsmNoValidators ? "fsm" : small_servers[i];
                int w = sa::default_workers(sa::parse_architecture(arch));
                workers = w ? std::to_string(w) : "-";
            }
            rows.push_back({scenario1, small_servers[i], workers, v[v.size() / 2]});
        }

        // 2. 10 ms of disk latency on every read.
        const std::string scenario2 = "10 ms disk, no cache";
        struct DiskCase {
            std::string arch;
            int workers;
        };
        std::vector<DiskCase> disk_cases;
        if (disk) disk_cases = {{"iterative", 0}, {"dispatcher-worker", 64}, {"fsm", 64}};
        for (const DiskCase& d : disk_cases) {
            progress(d.arch + ", 10 ms disk");
            std::vector<std::string> extra = {"--arch", d.arch,    "--disk-latency",
                                              "10",     "--cache", "0"};
            if (d.workers) extra.insert(extra.end(), {"--workers", std::to_string(d.workers)});
            int port = 0;
            auto server = start_ptv(ptv, root, extra, port);
            rows.push_back(
                {scenario2, d.arch, d.workers ? std::to_string(d.workers) : "-",
                 run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port), C, D)});
            server->stop(SIGTERM, 10);
        }

        // 3. Idle keep-alive connections.
        struct Idle {
            std::string server;
            int answered = 0;
            uint64_t before = 0, after = 0;
        };
        std::vector<Idle> idle;
        if (idle_run) {
            progress(fmt::format("fsm, {} idle connections", o.idle));
            int port = 0;
            auto server = start_ptv(ptv, root, {"--arch", "fsm"}, port);
            Idle i{"fsm"};
            i.before = tree_rss(server->pid());
            IdleConnections conns;
            i.answered = conns.open(port, "/small.html", o.idle, 60);
            i.after = tree_rss(server->pid());
            conns.close_all();
            server->stop(SIGTERM, 10);
            idle.push_back(i);
        }
        if (idle_run) {
            progress(fmt::format("nginx, {} idle connections", o.idle));
            int port = free_port();
            Nginx n(nginx, tmp.path + "/nginx-idle", root, port, 1);
            Idle i{"nginx (1 worker)"};
            i.before = tree_rss(n.pid());
            IdleConnections conns;
            i.answered = conns.open(port, "/small.html", o.idle, 60);
            i.after = tree_rss(n.pid());
            idle.push_back(i);
        }

        // 4. Silent connections: `silent` connections that say nothing, then
        //    `fresh` requests one after another, each timed. Our servers run
        //    with --timeout 60 (start_ptv), nginx with its default 60 s
        //    client_header_timeout: the silent ones are held throughout.
        struct Silent {
            std::string server, workers;
            SilentResult result;
        };
        std::vector<Silent> silent;
        if (silent_run) {
            struct SilentCase {
                std::string arch, workers;
            };
            for (const SilentCase& c :
                 {SilentCase{"dispatcher-worker", "16"}, SilentCase{"prefork", "4"},
                  SilentCase{"fsm", "4"}, SilentCase{"nginx", "1 process"}}) {
                progress(fmt::format("{}, {} silent connections", c.arch, o.silent));
                SilentResult r;
                if (c.arch == "nginx") {
                    int port = free_port();
                    Nginx n(nginx, tmp.path + "/nginx-silent", root, port, 1);
                    if (!n.ok()) throw std::runtime_error("nginx did not start");
                    r = measure_silent(port, "/small.html", o.silent, o.fresh, 5);
                } else {
                    int port = 0;
                    auto server = start_ptv(ptv, root, {"--arch", c.arch}, port);
                    r = measure_silent(port, "/small.html", o.silent, o.fresh, 5);
                    server->stop(SIGTERM, 10);
                }
                silent.push_back({c.arch, c.workers, r});
            }
        }
        progress("");
        if (isatty(2)) std::fprintf(stderr, "\r\033[K");

        auto find = [&](const std::string& scenario, const std::string& server) -> const Row* {
            for (const auto& r : rows)
                if (r.scenario == scenario && r.server == server) return &r;
            return nullptr;
        };
        const double nginx_rps = small ? find(scenario1, "nginx")->wrk.requests_per_s : 0;
        const double fsm_rps = small ? find(scenario1, "fsm")->wrk.requests_per_s : 0;
        const double bare_rps = small ? find(scenario1, kFsmNoValidators)->wrk.requests_per_s : 0;
        const double iter_rps = disk ? find(scenario2, "iterative")->wrk.requests_per_s : 0;
        const double dw_rps = disk ? find(scenario2, "dispatcher-worker")->wrk.requests_per_s : 0;
        struct Target {
            std::string what, measured, bound;
            bool met;
        };
        std::vector<Target> targets;
        if (small) {
            targets.push_back({"fsm / nginx (1 worker, open_file_cache), small cached file",
                               ratio(fsm_rps, nginx_rps), "≥ 1.00x",
                               nginx_rps > 0 && fsm_rps / nginx_rps >= 1.0});
            targets.push_back({"fsm / fsm without validators (Last-Modified, ETag), small file",
                               ratio(fsm_rps, bare_rps), "≥ 0.95x",
                               bare_rps > 0 && fsm_rps / bare_rps >= 0.95});
        }
        if (disk)
            targets.push_back(
                {fmt::format("dispatcher-worker (64) / iterative, 10 ms disk, {} clients", C),
                 ratio(dw_rps, iter_rps), "≥ 30x", iter_rps > 0 && dw_rps / iter_rps >= 30});
        if (idle_run) {
            const double fsm_mib = double(idle[0].after) / (1 << 20);
            targets.push_back({fmt::format("fsm RSS holding {} idle keep-alive connections",
                                           ptv::thousands(o.idle)),
                               fmt::format("{:.1f} MiB", fsm_mib), "≤ 64 MiB",
                               idle[0].answered == o.idle && fsm_mib <= 64});
        }
        for (const auto& x : silent) {
            if (x.server != "dispatcher-worker" && x.server != "prefork") continue;
            const SilentResult& r = x.result;
            targets.push_back(
                {fmt::format("{}: slowest of {} fresh requests behind {} silent "
                             "connections / {:g} ms",
                             x.server, r.requests, ptv::thousands(o.silent), kSilentLimitMs),
                 fine_ratio(r.max_ms, kSilentLimitMs), "≤ 1.00x",
                 r.answered == r.requests && r.held == r.silent && r.max_ms <= kSilentLimitMs});
        }

        if (o.json) {
            nlohmann::json j = {{"benchmark", "servers"},
                                {"connections", C},
                                {"trials", o.trials},
                                {"duration_s", D},
                                {"runs", nlohmann::json::array()},
                                {"idle", nlohmann::json::array()},
                                {"silent", nlohmann::json::array()},
                                {"targets", nlohmann::json::array()}};
            for (const auto& r : rows)
                j["runs"].push_back({{"scenario", r.scenario},
                                     {"server", r.server},
                                     {"workers", r.workers},
                                     {"requests_per_s", r.wrk.requests_per_s},
                                     {"p50_ms", r.wrk.p50_ms},
                                     {"p90_ms", r.wrk.p90_ms},
                                     {"p99_ms", r.wrk.p99_ms},
                                     {"errors", r.wrk.errors},
                                     {"non_2xx", r.wrk.non_2xx}});
            for (const auto& i : idle)
                j["idle"].push_back({{"server", i.server},
                                     {"connections", o.idle},
                                     {"answered", i.answered},
                                     {"rss_before_bytes", i.before},
                                     {"rss_after_bytes", i.after}});
            for (const auto& x : silent)
                j["silent"].push_back({{"server", x.server},
                                       {"workers", x.workers},
                                       {"silent", x.result.silent},
                                       {"held", x.result.held},
                                       {"requests", x.result.requests},
                                       {"answered", x.result.answered},
                                       {"p50_ms", x.result.p50_ms},
                                       {"max_ms", x.result.max_ms},
                                       {"limit_ms", kSilentLimitMs}});
            for (const auto& t : targets)
                j["targets"].push_back({{"target", t.what},
                                        {"measured", t.measured},
                                        {"bound", t.bound},
                                        {"met", t.met}});
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }

        if (!rows.empty()) {
            std::printf(
                "wrk -t1 -c%d -d%gs --latency against 127.0.0.1 (the other CPU serves); "
                "a 1 KiB file; small cached file: median of %d interleaved trials\n\n",
                C, D, o.trials);
            ptv::Table t(
                {"scenario", "server", "workers", "req/s", "p50", "p90", "p99", "errors", "ratio"});
            t.right_align({2, 3, 4, 5, 6, 7, 8});
            std::string last;
            for (const auto& r : rows) {
                if (!last.empty() && r.scenario != last) t.rule();
                last = r.scenario;
                std::string rel = r.scenario == scenario1
                                      ? ratio(r.wrk.requests_per_s, nginx_rps) + " nginx"
                                      : ratio(r.wrk.requests_per_s, iter_rps) + " iterative";
                t.row({r.scenario, r.server, r.workers,
                       r.wrk.ok ? fmt::format("{:.0f}", r.wrk.requests_per_s) : "failed",
                       ms(r.wrk.p50_ms), ms(r.wrk.p90_ms), ms(r.wrk.p99_ms),
                       ptv::thousands(r.wrk.errors + r.wrk.non_2xx), rel});
            }
            std::printf("%s\n", t.render().c_str());
        }

        if (!idle.empty()) {
            ptv::Table m({"idle keep-alive connections", "answered", "RSS before",
                          "RSS holding them", "per connection"});
            m.right_align({1, 2, 3, 4});
            for (const auto& i : idle)
                m.row({i.server, ptv::thousands(uint64_t(i.answered)),
                       fmt::format("{:.1f} MiB", double(i.before) / (1 << 20)),
                       fmt::format("{:.1f} MiB", double(i.after) / (1 << 20)),
                       i.answered > 0
                           ? fmt::format("{:.0f} B",
                                         double(i.after - std::min(i.after, i.before)) / i.answered)
                           : "-"});
            std::printf("%s\n", m.render().c_str());
        }

        if (!silent.empty()) {
            std::printf(
                "%s silent connections held open, then %d GETs of the 1 KiB file one "
                "after another, each on a new connection, timed from connect to the "
                "last byte\n\n",
                ptv::thousands(o.silent).c_str(), o.fresh);
            ptv::Table q({"silent connections", "workers", "held", "answered", "p50", "max",
                          "p50 / 50 ms", "max / 50 ms"});
            q.right_align({1, 2, 3, 4, 5, 6, 7});
            for (const auto& x : silent) {
                const SilentResult& r = x.result;
                q.row({x.server, x.workers,
                       fmt::format("{} / {}", ptv::thousands(uint64_t(r.held)),
                                   ptv::thousands(uint64_t(r.silent))),
                       fmt::format("{} / {}", r.answered, r.requests), ms(r.p50_ms), ms(r.max_ms),
                       fine_ratio(r.p50_ms, kSilentLimitMs), fine_ratio(r.max_ms, kSilentLimitMs)});
            }
            std::printf("%s\n", q.render().c_str());
        }

        ptv::Table g({"target", "measured", "target", "met?"});
        g.right_align({1});
        for (const auto& x : targets) g.row({x.what, x.measured, x.bound, x.met ? "yes" : "no"});
        std::printf("%s", g.render().c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-servers: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-servers: the run failed: %s\n", e.what());
        return 1;
    }
}
