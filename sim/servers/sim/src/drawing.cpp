// One architecture drawn from one model run (see drawing.hpp and README.md,
// "Drawing").
#include "ptv/servers/sim/drawing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "ptv/common/graphviz.hpp"

namespace ptv::servers::sim {

namespace {

using graphviz::escape_string;

// How an architecture looks in the drawing: the node between the network
// and its workers, the queue requests wait in for a worker (none with a
// worker per connection), what a worker is, and the disk helpers of the
// event-driven designs, whose workers never block on the disk.
struct Look {
    std::string title, container, front, queue, worker, helper;
};

Look look(Architecture a, const Config& c) {
    switch (a) {
        case Architecture::Iterative:
            return {"iterative server", "server process",    "",
                    "listen backlog",   "the server thread", ""};
        case Architecture::DispatcherWorker:
            return {"dispatcher-worker (Fig. 3-3)",
                    "server process",
                    "dispatcher thread\naccepts and queues requests",
                    "request queue",
                    "worker thread {}",
                    ""};
        case Architecture::Prefork:
            return {"prefork",    fmt::format("server: {} processes made in advance", c.workers),
                    "",           "accept queue\nof the shared listening socket",
                    "process {}", ""};
        case Architecture::ThreadPerConnection:
            return {"thread-per-connection",
                    "server process",
                    "main thread\naccepts, starts a thread per connection",
                    "",
                    "thread of C{}",
                    ""};
        case Architecture::ProcessPerConnection:
            return {"process-per-connection",
                    "server",
                    fmt::format("listener\naccepts, forks a process per connection ({} ms each)",
                                c.fork),
                    "",
                    "process of C{}",
                    ""};
        case Architecture::FiniteStateMachine:
            return {
                "finite-state machine", "server process",     "event loop\none thread, epoll", "",
                "state of C{}",         "disk helper threads"};
        case Architecture::Fibers:
            return {"fibers", "server process", "fiber scheduler\none kernel thread over epoll",
                    "",       "fiber of C{}",   "disk helper threads"};
    }
    return {};
}

std::string plural(int64_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Queueing queueing(const Result& r) {
    Queueing q;
    // Requests waiting for a worker at instant t: arrive <= t < slot. At one
    // tick a departure comes before an arrival, so a request taken at t
    // and one joining at t are never counted together.
    std::vector<std::pair<int, int>> events;
    for (const auto& rq : r.requests) {
        if (rq.slot > rq.arrive) {
            ++q.waited_for_worker;
            q.worker_wait_ms += rq.slot - rq.arrive;
            events.push_back({rq.arrive, +1});
            events.push_back({rq.slot, -1});
        }
        if (rq.cpu_start > rq.slot) {
            ++q.waited_for_cpu;
            q.cpu_wait_ms += rq.cpu_start - rq.slot;
        }
    }
    std::sort(events.begin(), events.end());
    int waiting = 0;
    for (const auto& [t, d] : events) q.longest = std::max(q.longest, waiting += d);
    return q;
}

std::vector<WorkerLoad> worker_loads(const Result& r, const Config& c) {
    std::vector<WorkerLoad> w(size_t(r.shape.per_connection ? c.clients : r.shape.slots));
    for (const auto& rq : r.requests) {
        auto& load = w.at(size_t(rq.worker));
        ++load.requests;
        load.held += rq.done - rq.slot;
    }
    return w;
}

std::string to_dot(const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    const Look l = look(r.arch, c);
    const Queueing q = queueing(r);
    const auto loads = worker_loads(r, c);
    const int total = c.clients * c.requests;
    const bool pool = r.arch == Architecture::DispatcherWorker || r.arch == Architecture::Prefork;

    std::string s = "digraph servers {\n  rankdir=LR;\n  labelloc=t;\n  fontname=\"Helvetica\";\n";
    s += "  node [fontname=\"Helvetica\", shape=box];\n  edge [fontname=\"Helvetica\"];\n";
    s += fmt::format(
        "  label=\"{}\";\n",
        escape_string(fmt::format("{}: {}, {} each, {} ms CPU + {} ms disk per request{}, {}\n"
                                  "last reply at {} ms, {:.1f} requests/s, mean response {:.1f} ms",
                                  l.title, plural(c.clients, "client", "clients"),
                                  plural(c.requests, "request", "requests"), c.cpu, c.disk,
                                  pool ? ", " + plural(c.workers, "worker", "workers") : "",
                                  plural(c.cpus, "CPU", "CPUs"), r.makespan, r.throughput(),
                                  r.mean_response())));
    s += fmt::format(
        "  network [shape=ellipse, label=\"{}\"];\n",
        escape_string(fmt::format("network\n{}, {}", plural(c.clients, "client", "clients"),
                                  plural(total, "request", "requests"))));

    s += fmt::format("  subgraph cluster_server {{\n    label=\"{}\";\n",
                     escape_string(l.container));
    // Edges after the clusters: a node an edge names inside a cluster
    // would join it.
    std::string edges;
    std::string into = "network";  // what the workers are fed from
    if (!l.front.empty()) {
        s += fmt::format("    front [label=\"{}\"];\n", escape_string(l.front));
        edges += fmt::format("  network -> front [label=\"{}\"];\n",
                             plural(total, "request", "requests"));
        into = "front";
    }
    if (!l.queue.empty()) {
        const std::string waits =
            q.waited_for_worker == 0
                ? "no request waited"
                : fmt::format("{} of {} waited\n{} ms in all, at most {} at once",
                              q.waited_for_worker, plural(total, "request", "requests"),
                              q.worker_wait_ms, q.longest);
        s += fmt::format("    queue [shape=record, label=\"{}\"];\n",
                         escape_string(l.queue + "\n" + waits));
        edges += fmt::format("  {} -> queue;\n", into);
        into = "queue";
    }
    for (size_t w = 0; w < loads.size(); ++w) {
        const std::string name = fmt::format(fmt::runtime(l.worker), w);
        s += fmt::format("    w{} [label=\"{}\"];\n", w,
                         escape_string(fmt::format("{}\nserved {}\nheld {} ms", name,
                                                   plural(loads[w].requests, "request", "requests"),
                                                   loads[w].held)));
        edges += fmt::format("  {} -> w{} [label=\"{}\"];\n", into, w, loads[w].requests);
    }
    if (!l.helper.empty() && c.disk > 0) s += fmt::format("    helper [label=\"{}\"];\n", l.helper);
    s += "  }\n";

    s += "  subgraph cluster_machine {\n    label=\"operating system and hardware\";\n";
    std::string cpu = plural(c.cpus, "CPU", "CPUs");
    if (r.shape.cpus < c.cpus) cpu += fmt::format("\nthe work can use {}", r.shape.cpus);
    cpu += fmt::format("\nutilisation {:.1f}%", 100 * r.utilisation());
    cpu += q.waited_for_cpu == 0
               ? "\nno request waited for one"
               : fmt::format("\n{} waited {} ms for one",
                             plural(q.waited_for_cpu, "request", "requests"), q.cpu_wait_ms);
    s += fmt::format("    cpu [shape=box3d, label=\"{}\"];\n", escape_string(cpu));
    s += fmt::format("    disk [shape=cylinder, label=\"{}\"];\n",
                     escape_string(c.disk > 0 ? fmt::format("disk\n{} of {} ms, overlapping",
                                                            plural(total, "read", "reads"), c.disk)
                                              : "disk\nnot read (all cached)"));
    s += "  }\n" + edges;
    if (c.disk > 0) {
        if (!l.helper.empty()) {
            for (size_t w = 0; w < loads.size(); ++w)
                s += fmt::format("  w{} -> helper [label=\"{}\"];\n", w, loads[w].requests);
            s += fmt::format("  helper -> disk [label=\"{}\"];\n", total);
        } else {
            for (size_t w = 0; w < loads.size(); ++w)
                s += fmt::format("  w{} -> disk [label=\"{}\"];\n", w, loads[w].requests);
        }
    }
    return s + "}\n";
}

}  // namespace ptv::servers::sim
