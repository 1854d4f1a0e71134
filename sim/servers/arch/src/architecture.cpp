// Architecture names and `ptv servers run` (see architecture.hpp).
#include "ptv/servers/arch/architecture.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/server_registry.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

// The spelling of each Architecture on the command line; the designs
// themselves, and their descriptions, are in builtin_servers().
struct Name {
    Architecture arch;
    std::string_view name;
};

constexpr Name kNames[] = {
    {Architecture::Iterative, "iterative"},
    {Architecture::ThreadPerConnection, "thread-per-connection"},
    {Architecture::DispatcherWorker, "dispatcher-worker"},
    {Architecture::ProcessPerConnection, "process-per-connection"},
    {Architecture::Prefork, "prefork"},
    {Architecture::FiniteStateMachine, "fsm"},
    {Architecture::Fibers, "fibers"},
};

}  // namespace

std::string_view to_string(Architecture a) {
    for (const auto& n : kNames)
        if (n.arch == a) return n.name;
    return "?";
}

std::string_view describe(Architecture a) {
    const ServerRegistry::Entry* e = builtin_servers().find(to_string(a));
    return e ? std::string_view(e->description) : "?";
}

const std::vector<Architecture>& all_architectures() {
    static const std::vector<Architecture> all = [] {
        std::vector<Architecture> v;
        for (const auto& n : kNames) v.push_back(n.arch);
        return v;
    }();
    return all;
}

std::string architecture_names() {
    std::string s;
    for (const auto& n : kNames) {
        if (!s.empty()) s += " | ";
        s += n.name;
    }
    return s;
}

Architecture parse_architecture(std::string_view name) {
    for (const auto& n : kNames)
        if (n.name == name) return n.arch;
    throw UsageError(
        fmt::format("--arch {}: no such architecture; give one of {}", name, architecture_names()));
}

bool forks(Architecture a) {
    return a == Architecture::ProcessPerConnection || a == Architecture::Prefork;
}

int default_workers(Architecture a) {
    switch (a) {
        case Architecture::DispatcherWorker:
            return 16;
        case Architecture::Prefork:
            return 4;
        case Architecture::FiniteStateMachine:
        case Architecture::Fibers:
            return 4;
        default:
            return 0;
    }
}

void validate(const ServerOptions& o) {
    if (o.workers < 0 || o.workers > 4096)
        throw UsageError(fmt::format("--workers {}: give 1 to 4096", o.workers));
    if (o.disk_latency_ms < 0 || o.disk_latency_ms > 10000)
        throw UsageError(
            fmt::format("--disk-latency {}: give 0 to 10000 milliseconds", o.disk_latency_ms));
    if (o.cache_files < 0 || o.cache_files > 100000)
        throw UsageError(fmt::format("--cache {}: give 0 to 100000 files", o.cache_files));
    if (!(o.timeout_s >= 0.05 && o.timeout_s <= 3600))
        throw UsageError(fmt::format("--timeout {}: give 0.05 to 3600 seconds", o.timeout_s));
    if (o.trace_capacity < 1 || o.trace_capacity > 10'000'000)
        throw UsageError(
            fmt::format("--trace-capacity {}: give 1 to 10000000 requests", o.trace_capacity));
    if (o.max_fds < 0 || (o.max_fds > 0 && o.max_fds < 16))
        throw UsageError(fmt::format("--max-fds {}: give at least 16", o.max_fds));
    if (o.service == http::ServiceKind::StatefulCounter && forks(o.arch))
        throw UsageError(fmt::format(
            "--service stateful-counter keeps its sessions in one process's memory, which a "
            "{} server's children do not share; use a threaded or event-driven --arch",
            to_string(o.arch)));
}

namespace {

// Closes a descriptor on every way out of run().
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) close(fd);
    }
};

}  // namespace

int run(const ServerOptions& o, std::FILE* out) {
    validate(o);
    const int workers = o.workers > 0 ? o.workers : default_workers(o.arch);
    // Everything that can be a usage error comes before the socket.
    StopSignal stop;
    http::SimulatedDisk disk(o.root, std::chrono::milliseconds(o.disk_latency_ms),
                             size_t(o.cache_files), stop.fd());
    disk.list_directories(o.list_directories);
    auto service = http::make_service(o.service, {o.validators});
    std::optional<trace::TraceWriter> trace;
    if (!o.trace.empty()) trace.emplace(trace::TraceWriter::open(o.trace));
    std::unique_ptr<RequestLog> log;
    if (trace) log = std::make_unique<RequestLog>(o.trace_capacity);
    Shared<SharedCounters> counters;
    const uint64_t fd_limit = set_fd_limit(o.max_fds);

    int listen_fd = o.listen_fd;
    if (listen_fd >= 0) {
        if (bound_port(listen_fd) < 0)
            throw UsageError(fmt::format("--listen-fd {}: not a listening socket", listen_fd));
        set_nonblocking(listen_fd);
    } else {
        listen_fd = listen_on(o.host, o.port);
    }
    FdCloser closer{listen_fd};
    const int port = bound_port(listen_fd);

    stop.catch_signals();
    const std::string what = o.service == http::ServiceKind::Files
                                 ? fmt::format("serving {}", o.root)
                                 : fmt::format("serving the {}", http::to_string(o.service));
    std::string workers_text =
        workers > 0 ? fmt::format(", {} {}", workers,
                                  o.arch == Architecture::Prefork            ? "processes"
                                  : o.arch == Architecture::DispatcherWorker ? "workers"
                                                                             : "disk helpers")
                    : "";
    std::fprintf(out, "ptv servers: %s%s %s on http://%s:%d/ (pid %d); Ctrl-C stops\n",
                 std::string(to_string(o.arch)).c_str(), workers_text.c_str(), what.c_str(),
                 o.host == "*" ? "0.0.0.0" : o.host.c_str(), port, int(getpid()));
    // After the line with the address, which scripts read the port from.
    if (o.arch == Architecture::Iterative)
        std::fprintf(out,
                     "iterative: one connection at a time; a client that connects and says "
                     "nothing holds the server for up to --timeout (%s s)\n",
                     fmt::format("{:g}", o.timeout_s).c_str());
    std::fflush(out);

    const uint64_t origin = now_ns();
    ServerEnv env{listen_fd,
                  stop,
                  *service,
                  disk,
                  *counters,
                  log.get(),
                  std::chrono::milliseconds(int64_t(o.timeout_s * 1000)),
                  workers};
    serve(o.arch, env);

    if (trace) {
        write_request_trace(*trace, 1,
                            fmt::format("servers: {} on port {}", to_string(o.arch), port),
                            log->records(), origin);
        trace->metadata("architecture", std::string(to_string(o.arch)));
        trace->metadata("requests", counters->requests.load());
        trace->metadata("recorded_requests", log->records().size());
        trace->metadata("dropped_requests", log->dropped());
        if (!trace->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", o.trace));
    }
    auto count = [](uint64_t n, const char* one, const char* many) {
        return thousands(n) + " " + (n == 1 ? one : many);
    };
    std::fprintf(out,
                 "ptv servers: stopped; %s on %s (%s too slow, %s refused for lack of "
                 "descriptors; limit %s)\n",
                 count(counters->requests, "request", "requests").c_str(),
                 count(counters->connections, "connection", "connections").c_str(),
                 thousands(counters->timeouts).c_str(),
                 thousands(counters->dropped_accepts).c_str(), thousands(fd_limit).c_str());
    return 0;
}

}  // namespace ptv::servers::arch
