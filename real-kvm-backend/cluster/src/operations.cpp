#include "ptv/cluster/operations.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <optional>

#include "ptv/cluster/cluster_trace.hpp"
#include "ptv/cluster/cluster_view.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vmms/client.hpp"

using nlohmann::json;

namespace ptv::cluster {

namespace {

// A host service's answer: its refusal of a mistake is the user's (status
// 2), anything else the host's.
json checked(const json& reply, const std::string& host) {
    if (reply.value("ok", false)) return reply;
    const std::string what = fmt::format("{}: {}", host, reply.value("error", "no answer"));
    if (reply.value("status", 1) == 2) throw UsageError(what);
    throw HostError(what);
}

json ask(const HostInfo& host, const json& request) {
    vmms::Client c(host.socket);
    return checked(c.request(request), host.name);
}

std::string free_memory(const Cluster& cluster) {
    std::string out;
    for (const auto& h : cluster)
        out += fmt::format("{}{} {} MiB{}", out.empty() ? "" : ", ", h.name, h.memory_free(),
                           h.on ? "" : " (unreachable)");
    return out;
}

// A VM without a worker moves as its record: created on the destination
// with the same configuration, then deleted on the source. Its snapshots
// would not survive that, so such a VM is not moved cold.
MoveOutcome move_cold(const ClusterConfig& config, const Move& m) {
    const HostInfo& from = config.hosts[m.from];
    const HostInfo& to = config.hosts[m.to];
    MoveOutcome out;
    out.move = m;
    out.kind = "cold";
    const json snaps = ask(from, {{"op", "snapshots"}, {"name", m.vm}});
    if (!snaps.value("snapshots", json::array()).empty()) {
        out.error = fmt::format(
            "VM '{}' has snapshots on {}, which a cold move would lose; start it so that it "
            "moves live, or delete its snapshots",
            m.vm, from.name);
        return out;
    }
    const json vm = ask(from, {{"op", "info"}, {"name", m.vm}}).value("vm", json::object());
    ask(to, {{"op", "create"},
             {"name", m.vm},
             {"guest", vm.value("guest", "")},
             {"memory_mib", vm.value("memory_mib", 0)},
             {"restart", vm.value("restart", "never")},
             {"cmdline", vm.value("cmdline", "")}});
    ask(from, {{"op", "delete"}, {"name", m.vm}});
    out.ok = true;
    return out;
}

// A running VM moves by live migration, worker to worker across the
// bridge: the destination's service listens for it, then the source's
// service tells the VM's worker to go. Until the switch-over the guest runs
// on at the source, and a failure leaves it there.
MoveOutcome move_live(const ClusterConfig& config, const Move& m, const RebalanceOptions& o,
                      int port) {
    const HostInfo& from = config.hosts[m.from];
    const HostInfo& to = config.hosts[m.to];
    MoveOutcome out;
    out.move = m;
    out.kind = "live";
    const json vm = ask(from, {{"op", "info"}, {"name", m.vm}}).value("vm", json::object());
    ask(to, {{"op", "receive"},
             {"name", m.vm},
             {"guest", vm.value("guest", "")},
             {"memory_mib", vm.value("memory_mib", 0)},
             {"restart", vm.value("restart", "never")},
             {"cmdline", vm.value("cmdline", "")},
             {"address", to.address},
             {"port", port}});
    vmms::Client c(from.socket);
    const json r = c.request({{"op", "migrate"},
                              {"name", m.vm},
                              {"to", fmt::format("{}:{}", to.address, port)},
                              {"mode", o.mode}});
    if (!r.value("ok", false)) {
        // The destination's record (if its worker has not removed it).
        try {
            ask(to, {{"op", "delete"}, {"name", m.vm}});
        } catch (const std::exception&) {
        }
        out.error = r.value("error", "the source's service did not answer");
        return out;
    }
    out.report = r.value("migration", json::object());
    out.downtime_ms = out.report.value("downtime_ms", 0.0);
    out.total_ms = out.report.value("total_ms", 0.0);
    // The source's record goes when its worker has ended; the next move's
    // view must not count the VM twice.
    for (int i = 0; i < 250; ++i) {
        vmms::Client s(from.socket);
        if (!s.request({{"op", "info"}, {"name", m.vm}}).value("ok", false)) break;
        ::usleep(20000);
    }
    out.ok = true;
    return out;
}

}  // namespace

Placed place_vm(ClusterConfig& config, const PlaceRequest& r) {
    const ClusterView view = observe(config);
    if (view.host_of(r.vm.name) >= 0)
        throw UsageError(fmt::format("a VM named '{}' is on {} already; pick another name",
                                     r.vm.name, config.hosts[view.host_of(r.vm.name)].name));
    const Cluster cluster = view.cluster();
    std::optional<std::size_t> where;
    if (!r.host.empty()) {
        const HostInfo* named = config.host(r.host);
        if (!named) {
            std::string names;
            for (const auto& h : config.hosts) names += (names.empty() ? "" : ", ") + h.name;
            throw UsageError(fmt::format("there is no host '{}' in the cluster; its hosts are {}",
                                         r.host, names));
        }
        const std::size_t i = std::size_t(named - config.hosts.data());
        if (!cluster[i].fits(r.vm))
            throw UsageError(fmt::format(
                "VM '{}' ({} MiB) does not fit on {} ({} MiB free{}); pick another host or let a "
                "--policy choose",
                r.vm.name, r.vm.memory_mib, r.host, cluster[i].memory_free(),
                cluster[i].on ? "" : ", unreachable"));
        where = i;
    } else {
        where = place(cluster, r.vm, r.policy);
    }
    if (!where)
        throw UsageError(
            fmt::format("VM '{}' ({} MiB) fits on no host (free: {}); free memory or give it less",
                        r.vm.name, r.vm.memory_mib, free_memory(cluster)));
    const HostInfo& host = config.hosts[*where];
    ask(host, {{"op", "create"},
               {"name", r.vm.name},
               {"guest", r.guest},
               {"memory_mib", r.vm.memory_mib},
               {"restart", r.restart},
               {"cmdline", r.cmdline}});
    config.vm_load[r.vm.name] = r.vm.load;
    save_cluster(config);
    if (r.start) {
        vmms::Client c(host.socket);
        const json started = c.request({{"op", "start"}, {"name", r.vm.name}});
        if (!started.value("ok", false)) {
            // Nothing is left of a VM that could not start.
            ask(host, {{"op", "delete"}, {"name", r.vm.name}});
            config.vm_load.erase(r.vm.name);
            save_cluster(config);
            checked(started, host.name);
        }
    }
    trace_place(config, r.vm.name, *where, r.host.empty() ? name(r.policy) : "by hand",
                r.vm.memory_mib, r.vm.load);
    save_cluster(config);
    return {*where, ask(host, {{"op", "info"}, {"name", r.vm.name}}).value("vm", json::object())};
}

std::vector<MoveOutcome> rebalance(ClusterConfig& config, const RebalanceOptions& o, Plan& plan,
                                   const Say& say) {
    const ClusterView view = observe(config);
    for (size_t i = 0; i < view.hosts.size(); ++i)
        if (!view.hosts[i].reachable)
            throw HostError(fmt::format("{} does not answer ({}); rebalance needs every host",
                                        config.hosts[i].name, view.hosts[i].error));
    plan = plan_rebalance(view.cluster(), o.policy);
    std::vector<MoveOutcome> done;
    if (o.dry_run) return done;
    for (const Move& m : plan.moves) {
        const auto& vms = view.hosts[m.from].vms;
        const auto vm =
            std::find_if(vms.begin(), vms.end(), [&](const VmStatus& v) { return v.name == m.vm; });
        const bool running = vm != vms.end() && vm->pid != 0;
        const double start = unix_us();
        const MoveOutcome out = running ? move_live(config, m, o, o.first_port + int(done.size()))
                                        : move_cold(config, m);
        if (out.ok) {
            trace_move(config, out, start, unix_us());
            save_cluster(config);
        }
        say(fmt::format(
            "{} {} -> {} ({}): {}", m.vm, config.hosts[m.from].name, config.hosts[m.to].name,
            out.kind,
            out.ok ? fmt::format("moved, downtime {:.1f} ms", out.downtime_ms) : out.error));
        done.push_back(out);
        if (!out.ok) return done;
    }
    for (std::size_t h : plan.freed) trace_power_off(config, h);
    save_cluster(config);
    return done;
}

}  // namespace ptv::cluster
