// bench-servers: wrk against every server architecture of `ptv servers run`
// and against nginx serving the same directory on loopback, in one run, with
// ratios and targets (bench/README.md). Three scenarios:
//   1. a small cached file: every architecture and nginx (1 worker process,
//      the same as the fsm's one event thread);
//   2. 10 ms of disk latency on every read (no cache), 64 clients: iterative
//      against dispatcher-worker with 64 workers (Fig. 3-3's point), and the
//      fsm with 64 disk helpers;
//   3. 10,000 idle keep-alive connections held by the fsm (and nginx): RSS.
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
#include <string>
#include <vector>

#include "processes.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"
#include "ptv/servers/arch/architecture.hpp"

using namespace bench_servers;
namespace sa = ptv::servers::arch;

namespace {

struct Options {
    int trials = 3;
    double duration_s = 2;
    int connections = 64;
    int idle = 10000;
    bool json = false;
};

struct Row {
    std::string scenario, server;
    std::string workers;
    WrkResult wrk;
};

std::string ptv_path() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string self = n > 0 ? std::string(buf, size_t(n)) : "";
    return self.substr(0, self.rfind('/') + 1) + "ptv";
}

void progress(const std::string& what) {
    if (isatty(2)) std::fprintf(stderr, "\r\033[K%s", what.c_str());
}

// Starts `ptv servers run` and returns it with its port.
std::unique_ptr<Child> start_ptv(const std::string& ptv, const std::string& root,
                                 const std::vector<std::string>& extra, int& port) {
    std::vector<std::string> argv = {ptv,      "servers", "run",       "--port", "0",
                                     "--root", root,      "--timeout", "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto c = std::make_unique<Child>(argv, true);
    std::string line = c->first_line(10);
    size_t at = line.find("127.0.0.1:");
    port = at == std::string::npos ? -1 : std::atoi(line.c_str() + at + 10);
    if (port <= 0) throw std::runtime_error("ptv servers run did not start: " + line);
    return c;
}

std::string ms(double v) {
    return ptv::human_ns(v * 1e6);
}

std::string ratio(double a, double b) {
    return b > 0 ? fmt::format("{:.2f}x", a / b) : "-";
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
    app.add_flag("--json", o.json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-servers");

    try {
        const std::string ptv = ptv_path();
        if (access(ptv.c_str(), X_OK) != 0)
            throw ptv::UsageError(ptv + " is missing; build the tree first (make build)");
        const std::string wrk = which("wrk"), nginx = which("nginx");
        if (wrk.empty() || nginx.empty())
            throw ptv::UsageError(
                "wrk and nginx are needed; install them with scripts/setup.sh --bench");
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
            int port = 0;
            auto server = start_ptv(ptv, root, {"--arch", name}, port);
            WrkResult r = run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port), C, D);
            server->stop(SIGTERM, 10);
            return r;
        };
        std::vector<std::string> small_servers = {"nginx"};
        for (sa::Architecture a : sa::all_architectures())
            small_servers.push_back(std::string(sa::to_string(a)));
        std::vector<std::vector<WrkResult>> trials(small_servers.size());
        for (int t = 0; t < o.trials; ++t)
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
                int w = sa::default_workers(sa::parse_architecture(small_servers[i]));
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
        for (const DiskCase& d :
             {DiskCase{"iterative", 0}, DiskCase{"dispatcher-worker", 64}, DiskCase{"fsm", 64}}) {
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
        {
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
        {
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
        progress("");
        if (isatty(2)) std::fprintf(stderr, "\r\033[K");

        auto find = [&](const std::string& scenario, const std::string& server) -> const Row* {
            for (const auto& r : rows)
                if (r.scenario == scenario && r.server == server) return &r;
            return nullptr;
        };
        const double nginx_rps = find(scenario1, "nginx")->wrk.requests_per_s;
        const double fsm_rps = find(scenario1, "fsm")->wrk.requests_per_s;
        const double iter_rps = find(scenario2, "iterative")->wrk.requests_per_s;
        const double dw_rps = find(scenario2, "dispatcher-worker")->wrk.requests_per_s;
        const double fsm_mib = double(idle[0].after) / (1 << 20);
        struct Target {
            std::string what, measured, bound;
            bool met;
        };
        const std::vector<Target> targets = {
            {"fsm / nginx (1 worker), small cached file", ratio(fsm_rps, nginx_rps), "≥ 0.90x",
             nginx_rps > 0 && fsm_rps / nginx_rps >= 0.9},
            {fmt::format("dispatcher-worker (64) / iterative, 10 ms disk, {} clients", C),
             ratio(dw_rps, iter_rps), "≥ 30x", iter_rps > 0 && dw_rps / iter_rps >= 30},
            {fmt::format("fsm RSS holding {} idle keep-alive connections", ptv::thousands(o.idle)),
             fmt::format("{:.1f} MiB", fsm_mib), "≤ 64 MiB",
             idle[0].answered == o.idle && fsm_mib <= 64},
        };

        if (o.json) {
            nlohmann::json j = {{"benchmark", "servers"},
                                {"connections", C},
                                {"trials", o.trials},
                                {"duration_s", D},
                                {"runs", nlohmann::json::array()},
                                {"idle", nlohmann::json::array()},
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
            for (const auto& t : targets)
                j["targets"].push_back({{"target", t.what},
                                        {"measured", t.measured},
                                        {"bound", t.bound},
                                        {"met", t.met}});
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }

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

        ptv::Table m({"idle keep-alive connections", "answered", "RSS before", "RSS holding them",
                      "per connection"});
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
