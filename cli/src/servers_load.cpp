// `ptv servers load` and `ptv servers compare`: the load generator, and
// every architecture under the same load (sim/servers/load).
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/progress.hpp"
#include "ptv/servers/load/compare.hpp"
#include "ptv/servers/load/load.hpp"

namespace ptv::cli {

namespace {

namespace sl = ptv::servers::load;
namespace sa = ptv::servers::arch;

volatile sig_atomic_t g_interrupted = 0;

// Ctrl-C ends the run early and cleanly (the servers compare starts are
// stopped, temporary files removed), instead of killing ptv on the spot.
void catch_interrupts() {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_interrupted = 1; };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

struct LoadArgs {
    std::string url;
    sl::LoadOptions options;
    bool json = false;
};

struct CompareArgs {
    sl::CompareOptions options;
    std::string archs;
    bool json = false;
};

std::string self_path() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "ptv";
    return std::string(buf, size_t(n));
}

int run_load(LoadArgs& a) {
    a.options.url = sl::parse_url(a.url);
    sl::validate(a.options);
    catch_interrupts();
    a.options.cancelled = [] { return g_interrupted != 0; };
    sl::LoadResult r;
    {
        ProgressBar bar(stderr, !a.json);
        r = sl::run_load(a.options, [&](double f, uint64_t done) {
            bar.update(f, std::to_string(done) + " requests");
        });
    }
    if (a.json)
        std::printf("%s\n", sl::to_json(r).dump(2).c_str());
    else
        std::fputs(sl::render(r).c_str(), stdout);
    return g_interrupted ? 130 : 0;
}

int run_compare(CompareArgs& a) {
    if (!a.archs.empty()) {
        a.options.archs.clear();
        std::stringstream in(a.archs);
        for (std::string name; std::getline(in, name, ',');)
            a.options.archs.push_back(sa::parse_architecture(name));
    }
    a.options.ptv = self_path();
    a.options.progress = !a.json;
    catch_interrupts();
    a.options.cancelled = [] { return g_interrupted != 0; };
    auto rows = sl::run_compare(a.options);
    if (a.json)
        std::printf("%s\n", sl::to_json(a.options, rows).dump(2).c_str());
    else
        std::fputs(sl::render(a.options, rows).c_str(), stdout);
    return g_interrupted ? 130 : 0;
}

}  // namespace

Commands servers_load_commands(CLI::App& servers) {
    auto l = std::make_shared<LoadArgs>();
    auto* load = servers.add_subcommand(
        "load",
        "HTTP load generator: closed loop (C clients back to back) or open loop (--rate); "
        "throughput and latency percentiles");
    load->add_option("url", l->url, "http://HOST:PORT/PATH (HOST an IPv4 address or localhost)")
        ->required();
    load->add_option("-c,--clients", l->options.clients, "C concurrent clients (connections)")
        ->capture_default_str();
    load->add_option("-d,--duration", l->options.duration_s, "S seconds")->capture_default_str();
    load->add_option("--rate", l->options.rate,
                     "R requests per second in all (open loop); default: closed loop");
    load->add_option("--timeout", l->options.timeout_s,
                     "S: a request unanswered this long counts as an error")
        ->capture_default_str();
    load->add_flag("--json", l->json, "print the results as JSON");

    auto c = std::make_shared<CompareArgs>();
    auto* compare = servers.add_subcommand(
        "compare",
        "every architecture under the same load: one table of throughput, latency, threads, "
        "processes and peak RSS");
    compare
        ->add_option("--disk-latency", c->options.disk_latency_ms,
                     "MS per read that misses the cache")
        ->capture_default_str();
    compare->add_option("--cache", c->options.cache_files, "FILES the server's cache holds")
        ->capture_default_str();
    compare->add_option("--files", c->options.files, "FILES in the served tree")
        ->capture_default_str();
    compare->add_option("--file-bytes", c->options.file_bytes, "BYTES per file")
        ->capture_default_str();
    compare->add_option("-c,--clients", c->options.clients, "C concurrent clients")
        ->capture_default_str();
    compare->add_option("-d,--duration", c->options.duration_s, "S seconds per architecture")
        ->capture_default_str();
    compare->add_option("--workers", c->options.workers,
                        "K for every architecture that has workers (default: each one's own)");
    compare->add_option("--archs", c->archs,
                        "a comma-separated subset of: " + sa::architecture_names());
    compare->add_option("--trace", c->options.trace,
                        "write every server's request spans (queueing, service, disk) to FILE");
    compare
        ->add_option("--trace-requests", c->options.trace_requests,
                     "requests per server in the trace")
        ->capture_default_str();
    compare->add_flag("--json", c->json, "print the results as JSON");

    return {{load, [l] { return run_load(*l); }}, {compare, [c] { return run_compare(*c); }}};
}

}  // namespace ptv::cli
