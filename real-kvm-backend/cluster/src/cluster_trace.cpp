#include "ptv/cluster/cluster_trace.hpp"

#include <fmt/format.h>
#include <chrono>
#include <cstdio>

#include "ptv/common/trace.hpp"

namespace ptv::cluster {

namespace {

constexpr const char* kCat = "cluster";

// Appends to the cluster's trace; f gets the writer and the time now (µs
// since the cluster came up).
template <class F>
void append(const ClusterConfig& c, F&& f) {
    if (c.trace.empty()) return;
    std::FILE* out = std::fopen(c.trace.c_str(), "a");
    if (!out) return;  // the trace is an account of the run, never its cause to fail
    {
        trace::TraceWriter tw(out, trace::TraceWriter::Mode::Lines);
        f(tw);
    }
    std::fclose(out);
}

int tid_of(ClusterConfig& c, const std::string& vm) {
    auto [it, added] = c.vm_tid.try_emplace(vm, int(c.vm_tid.size()) + 1);
    return it->second;
}

int pid_of(std::size_t host) {
    return int(host) + 1;
}

double rel(const ClusterConfig& c, double unix) {
    return unix - c.t0_unix_us;
}

// The VM's stay on its host ends at `at` (µs since up).
void close_stay(trace::TraceWriter& tw, ClusterConfig& c, const std::string& vm, double at) {
    auto it = c.vm_stay.find(vm);
    if (it == c.vm_stay.end()) return;
    const auto& h = c.hosts[it->second.host];
    tw.complete(kCat, vm, pid_of(it->second.host), tid_of(c, vm), it->second.since_us,
                at - it->second.since_us,
                {{"vm", vm}, {"host", h.name}, {"load", c.vm_load.count(vm) ? c.vm_load[vm] : 0}});
    c.vm_stay.erase(it);
}

}  // namespace

double unix_us() {
    return double(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

void trace_up(ClusterConfig& c) {
    append(c, [&](trace::TraceWriter& tw) {
        for (std::size_t i = 0; i < c.hosts.size(); ++i) {
            const auto& h = c.hosts[i];
            tw.process_name(pid_of(i),
                            fmt::format("{} ({} MiB, {:g} CPUs)", h.name, h.memory_mib, h.cpus));
            tw.thread_name(pid_of(i), 0, "host");
            tw.instant(kCat, "host", pid_of(i), 0, 0,
                       {{"host", h.name},
                        {"address", h.address},
                        {"memory_mib", h.memory_mib},
                        {"cpus", h.cpus}});
        }
    });
}

void trace_place(ClusterConfig& c, const std::string& vm, std::size_t host, std::string_view policy,
                 uint64_t memory_mib, double load) {
    const double now = rel(c, unix_us());
    append(c, [&](trace::TraceWriter& tw) {
        const int tid = tid_of(c, vm);
        for (std::size_t i = 0; i < c.hosts.size(); ++i) tw.thread_name(pid_of(i), tid, vm);
        tw.instant(kCat, "place", pid_of(host), tid, now,
                   {{"vm", vm},
                    {"host", c.hosts[host].name},
                    {"policy", policy},
                    {"memory_mib", memory_mib},
                    {"load", load}});
        c.vm_stay[vm] = {host, now};
    });
}

void trace_move(ClusterConfig& c, const MoveOutcome& m, double start_unix_us, double end_unix_us) {
    const double start = rel(c, start_unix_us), end = rel(c, end_unix_us);
    append(c, [&](trace::TraceWriter& tw) {
        const int tid = tid_of(c, m.move.vm);
        const int from = pid_of(m.move.from), to = pid_of(m.move.to);
        close_stay(tw, c, m.move.vm, start);
        tw.complete(kCat, "migrate", from, tid, start, end - start,
                    {{"vm", m.move.vm},
                     {"from", c.hosts[m.move.from].name},
                     {"to", c.hosts[m.move.to].name},
                     {"memory_mib", m.move.memory_mib},
                     {"kind", m.kind},
                     {"downtime_ms", m.downtime_ms},
                     {"bytes", m.report.is_object() ? m.report.value("bytes_sent", uint64_t(0)) : 0}});
        const uint64_t id = uint64_t(tid) << 20 | uint64_t(end) % (1u << 20);
        tw.flow_start(kCat, "migration", id, from, tid, start);
        tw.flow_finish(kCat, "migration", id, to, tid, end);
        c.vm_stay[m.move.vm] = {m.move.to, end};
    });
}

void trace_power_off(ClusterConfig& c, std::size_t host) {
    const double now = rel(c, unix_us());
    append(c, [&](trace::TraceWriter& tw) {
        tw.instant(kCat, "power-off", pid_of(host), 0, now, {{"host", c.hosts[host].name}});
    });
}

void trace_down(ClusterConfig& c) {
    const double now = rel(c, unix_us());
    append(c, [&](trace::TraceWriter& tw) {
        while (!c.vm_stay.empty()) close_stay(tw, c, c.vm_stay.begin()->first, now);
    });
}

}  // namespace ptv::cluster
