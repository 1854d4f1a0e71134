// The Chrome trace of `ptv cluster sim`, category `cluster` (the events are
// listed in report.hpp): a host is a process, each VM a thread in the host
// it runs on, a migration a flow arrow from one host to the other.
#include <fmt/format.h>

#include <map>

#include "ptv/cluster/sim/report.hpp"

namespace ptv::cluster::sim {

namespace {

constexpr const char* kCat = "cluster";

double us(double seconds) {
    return seconds * 1e6;
}

}  // namespace

void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    const int cluster_pid = int(c.hosts.size()) + 1;
    std::map<std::string, const VmSpec*> spec;
    std::map<std::string, int> tid;
    for (std::size_t i = 0; i < c.vms.size(); ++i) {
        spec[c.vms[i].vm.name] = &c.vms[i];
        tid[c.vms[i].vm.name] = int(i) + 1;
    }
    for (std::size_t i = 0; i < c.hosts.size(); ++i) {
        const int pid = int(i) + 1;
        tw.process_name(pid, fmt::format("{} ({} MiB, {:g} CPUs)", host_name(i),
                                         c.hosts[i].memory_mib, c.hosts[i].cpus));
        tw.thread_name(pid, 0, "host");
        tw.instant(kCat, "host", pid, 0, 0,
                   {{"host", host_name(i)},
                    {"memory_mib", c.hosts[i].memory_mib},
                    {"cpus", c.hosts[i].cpus}});
        for (const auto& [vm, n] : tid) {
            tw.thread_name(pid, n, vm);
            tw.thread_sort_index(pid, n, n);
        }
    }
    tw.process_name(cluster_pid, fmt::format("cluster: {}, {}", name(c.place),
                                             c.rebalance ? name(*c.rebalance) : "no rebalancing"));
    tw.thread_name(cluster_pid, 0, "arrivals that fit nowhere");

    // The VM spans still open: where each VM runs and since when.
    struct Open {
        std::size_t host;
        double since_s;
    };
    std::map<std::string, Open> open;
    auto close = [&](const std::string& vm, double at_s) {
        auto it = open.find(vm);
        if (it == open.end()) return;
        const VmSpec& v = *spec.at(vm);
        tw.complete(kCat, vm, int(it->second.host) + 1, tid.at(vm), us(it->second.since_s),
                    us(at_s - it->second.since_s),
                    {{"vm", vm},
                     {"host", host_name(it->second.host)},
                     {"memory_mib", v.vm.memory_mib},
                     {"load", v.vm.load}});
        open.erase(it);
    };

    std::size_t next_departure = 0, next_placement = 0;
    for (uint32_t t = 0; t < c.vms.size(); ++t) {
        for (; next_departure < r.departures.size() && r.departures[next_departure].step == t;
             ++next_departure) {
            const auto& d = r.departures[next_departure];
            close(d.vm, t);
            tw.instant(kCat, "leave", int(d.host) + 1, tid.at(d.vm), us(t),
                       {{"vm", d.vm}, {"host", host_name(d.host)}});
        }
        for (; next_placement < r.placements.size() && r.placements[next_placement].step == t;
             ++next_placement) {
            const auto& pl = r.placements[next_placement];
            if (!pl.host) {
                tw.instant(kCat, "fits-nowhere", cluster_pid, 0, us(t),
                           {{"vm", pl.vm}, {"memory_mib", spec.at(pl.vm)->vm.memory_mib}});
                continue;
            }
            open[pl.vm] = {*pl.host, double(t)};
            tw.instant(kCat, "place", int(*pl.host) + 1, tid.at(pl.vm), us(t),
                       {{"vm", pl.vm}, {"host", host_name(*pl.host)}, {"policy", name(c.place)}});
        }
    }
    for (std::size_t i = 0; i < r.migrations.size(); ++i) {
        const auto& m = r.migrations[i];
        const int from = int(m.move.from) + 1, to = int(m.move.to) + 1, vm = tid.at(m.move.vm);
        close(m.move.vm, m.start_s);
        tw.complete(kCat, "migrate", from, vm, us(m.start_s), us(m.end_s - m.start_s),
                    {{"vm", m.move.vm},
                     {"from", host_name(m.move.from)},
                     {"to", host_name(m.move.to)},
                     {"memory_mib", m.move.memory_mib},
                     {"rounds", m.cost.rounds},
                     {"pages_sent", m.cost.pages_sent},
                     {"bytes", m.cost.bytes},
                     {"downtime_ms", m.cost.downtime_ms}});
        tw.flow_start(kCat, "migration", i + 1, from, vm, us(m.start_s));
        tw.flow_finish(kCat, "migration", i + 1, to, vm, us(m.end_s));
        open[m.move.vm] = {m.move.to, m.end_s};
    }
    // The trace runs one step past the plan, so that where each VM ended up
    // (and which hosts are off) shows.
    const double end_s = r.end_s + 1;
    while (!open.empty()) close(open.begin()->first, end_s);
    for (auto host : r.plan.freed)
        tw.instant(kCat, "power-off", int(host) + 1, 0, us(r.end_s), {{"host", host_name(host)}});
    tw.metadata("cluster", to_json(p, r, true));
}

}  // namespace ptv::cluster::sim
