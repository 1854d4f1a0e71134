// bench-switch: the front-end switch of a server cluster (`ptv servers
// switch`, Fig. 3-12) beside HAProxy in TCP mode, configured the same way
// (one thread, the same balance algorithm, the same health checks), in
// front of the same N `ptv servers run` back ends on loopback, under the
// same wrk load, in one run: requests per second and p99 latency, and the
// ratios switch / HAProxy (bench/README.md). Two loads per policy: wrk's
// keep-alive connections (the relay loop: bytes through a few
// connections), and a connection per request (`Connection: close`: accept,
// choose, connect and close every time). It exits 0 whatever the numbers
// (a measurement, not a test).
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
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

#include "haproxy.hpp"
#include "processes.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"

using namespace bench_servers;
using bench_switch::Haproxy;

namespace {

struct Options {
    int backends = 3;
    std::string arch = "fsm";
    std::string policies = "round-robin,least-connections,hash";
    double duration_s = 3;
    int connections = 32;
    int trials = 1;
    int check_ms = 200;
    bool json = false;
};

const std::vector<std::string> kPolicies = {"round-robin", "least-connections", "hash"};

std::vector<std::string> parse_policies(const std::string& list) {
    return split_names(list, kPolicies, "--policies", "policy");
}

struct Load {
    std::string name;
    std::vector<std::string> wrk_args;
};
const std::vector<Load> kLoads = {{"keep-alive", {}},
                                  {"connection per request", {"-H", "Connection: close"}}};

struct Row {
    std::string policy, load;
    WrkResult ours, haproxy;  // the median trial of each
};

// The targets of bench/README.md: throughput at least 0.80x HAProxy's, p99
// at most 1.25x, and no request failed.
constexpr double kThroughputTarget = 0.80, kP99Target = 1.25;
bool met(const Row& r) {
    return r.haproxy.requests_per_s > 0 && r.haproxy.p99_ms > 0 &&
           r.ours.requests_per_s / r.haproxy.requests_per_s >= kThroughputTarget &&
           r.ours.p99_ms / r.haproxy.p99_ms <= kP99Target && r.ours.errors + r.ours.non_2xx == 0;
}

WrkResult median(std::vector<WrkResult> v) {
    std::sort(v.begin(), v.end(), [](const WrkResult& a, const WrkResult& b) {
        return a.requests_per_s < b.requests_per_s;
    });
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{
        "bench-switch: the front-end switch (ptv servers switch) beside HAProxy in TCP mode, the "
        "same back ends and load, in one run"};
    app.add_option("--backends", o.backends, "N `ptv servers run` back ends")
        ->check(CLI::Range(1, 16))
        ->capture_default_str();
    app.add_option("--arch", o.arch, "the back ends' architecture (ptv servers run --arch)")
        ->capture_default_str();
    app.add_option("--policies", o.policies, "LIST of policies, comma-separated")
        ->capture_default_str();
    app.add_option("--duration", o.duration_s, "S seconds per wrk run")
        ->check(CLI::Range(1.0, 600.0))
        ->capture_default_str();
    app.add_option("--connections", o.connections, "C connections of wrk")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.add_option("--trials", o.trials, "T interleaved runs of each row (the median is shown)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    app.add_option("--check-ms", o.check_ms, "MS between health checks, in both")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    app.add_flag("--json", o.json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-switch");

    try {
        const std::vector<std::string> policies = parse_policies(o.policies);
        const std::string ptv = ptv_beside();
        if (access(ptv.c_str(), X_OK) != 0)
            throw ptv::UsageError(ptv + " is missing; build the tree first (make build)");
        const std::string wrk = which("wrk"), haproxy = which("haproxy");
        if (wrk.empty() || haproxy.empty())
            throw ptv::UsageError(fmt::format("{} needed; install with scripts/setup.sh --bench",
                                              wrk.empty() && haproxy.empty() ? "wrk and haproxy are"
                                              : wrk.empty()                  ? "wrk is"
                                                                             : "haproxy is"));
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);

        TempDir tmp;
        const std::string root = tmp.path + "/www";
        std::filesystem::create_directory(root);
        std::ofstream(root + "/small.html")
            << "<!doctype html><title>small</title><p>" << std::string(1024 - 46, 'x') << "</p>\n";

        // The tier: the same back ends behind both switches, all run long.
        std::vector<std::unique_ptr<Child>> servers;
        std::vector<int> ports;
        for (int i = 0; i < o.backends; ++i) {
            servers.push_back(std::make_unique<Child>(
                std::vector<std::string>{ptv, "servers", "run", "--port", "0", "--arch", o.arch,
                                         "--root", root, "--timeout", "60"},
                true));
            const int port = port_in(servers.back()->first_line(10));
            if (port <= 0)
                throw ptv::UsageError(fmt::format(
                    "ptv servers run --arch {} did not start; check the architecture", o.arch));
            ports.push_back(port);
        }

        auto run_ours = [&](const std::string& policy, const Load& load) {
            std::vector<std::string> argv = {ptv,        "servers",     "switch",
                                             "--listen", "127.0.0.1:0", "--policy",
                                             policy,     "--check-ms",  std::to_string(o.check_ms)};
            for (int p : ports)
                argv.insert(argv.end(), {"--backend", fmt::format("127.0.0.1:{}", p)});
            Child sw(argv, true);
            const int port = port_in(sw.first_line(10));
            if (port <= 0) throw std::runtime_error("ptv servers switch did not start");
            WrkResult r = run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port),
                                  o.connections, o.duration_s, load.wrk_args);
            sw.stop(SIGTERM, 10);
            return r;
        };
        auto run_haproxy = [&](const std::string& policy, const Load& load) {
            const int port = free_port();
            Haproxy h(haproxy, tmp.path, policy, port, ports, o.check_ms);
            if (!h.ok()) throw std::runtime_error("haproxy did not start");
            return run_wrk(wrk, fmt::format("http://127.0.0.1:{}/small.html", port), o.connections,
                           o.duration_s, load.wrk_args);
        };

        std::vector<Row> rows;
        for (const std::string& policy : policies)
            for (const Load& load : kLoads) {
                std::vector<WrkResult> ours, theirs;
                // Interleaved, so that a busy spell of a shared host hits both.
                for (int t = 0; t < o.trials; ++t) {
                    progress(fmt::format("{}, {}: switch, trial {}/{}", policy, load.name, t + 1,
                                         o.trials));
                    ours.push_back(run_ours(policy, load));
                    progress(fmt::format("{}, {}: haproxy, trial {}/{}", policy, load.name, t + 1,
                                         o.trials));
                    theirs.push_back(run_haproxy(policy, load));
                }
                rows.push_back({policy, load.name, median(ours), median(theirs)});
            }
        progress("");
        for (auto& s : servers) s->stop(SIGTERM, 10);

        if (o.json) {
            nlohmann::json j = nlohmann::json::array();
            for (const Row& r : rows) {
                auto side = [](const WrkResult& w) {
                    return nlohmann::json{{"requests_per_s", w.requests_per_s},
                                          {"p50_ms", w.p50_ms},
                                          {"p99_ms", w.p99_ms},
                                          {"requests", w.requests},
                                          {"errors", w.errors},
                                          {"non_2xx", w.non_2xx}};
                };
                j.push_back({{"policy", r.policy},
                             {"load", r.load},
                             {"switch", side(r.ours)},
                             {"haproxy", side(r.haproxy)}});
            }
            std::printf("%s\n", nlohmann::json{{"backends", o.backends},
                                               {"arch", o.arch},
                                               {"connections", o.connections},
                                               {"duration_s", o.duration_s},
                                               {"rows", j}}
                                    .dump(2)
                                    .c_str());
            return 0;
        }
        utsname u{};
        uname(&u);
        std::printf(
            "bench-switch: %d x `ptv servers run --arch %s` on loopback behind `ptv servers "
            "switch` and behind HAProxy (mode tcp, nbthread 1), wrk -t1 -c%d, %g s per run, "
            "median of %d; %s %s, %ld CPUs\n\n",
            o.backends, o.arch.c_str(), o.connections, o.duration_s, o.trials, u.sysname, u.release,
            sysconf(_SC_NPROCESSORS_ONLN));
        ptv::Table t({"policy", "load", "switch req/s", "haproxy req/s", "switch/haproxy",
                      "switch p99", "haproxy p99", "p99 switch/haproxy", "errors (sw/hap)",
                      "met?"});
        t.right_align({2, 3, 4, 5, 6, 7, 8});
        for (const Row& r : rows)
            t.row({r.policy, r.load, ptv::thousands(uint64_t(r.ours.requests_per_s)),
                   ptv::thousands(uint64_t(r.haproxy.requests_per_s)),
                   ratio(r.ours.requests_per_s, r.haproxy.requests_per_s), ms(r.ours.p99_ms),
                   ms(r.haproxy.p99_ms), ratio(r.ours.p99_ms, r.haproxy.p99_ms),
                   fmt::format("{}/{}", r.ours.errors + r.ours.non_2xx,
                               r.haproxy.errors + r.haproxy.non_2xx),
                   met(r) ? "met" : "MISSED"});
        std::fputs(t.render().c_str(), stdout);
        std::printf(
            "\nreq/s: higher is better, so switch/haproxy above 1 is the switch ahead; p99: lower "
            "is better, so below 1 is the switch ahead. Target: throughput >= %.2fx and p99 <= "
            "%.2fx HAProxy's, no errors.\n",
            kThroughputTarget, kP99Target);
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-switch: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-switch: %s\n", e.what());
        return 1;
    }
}
