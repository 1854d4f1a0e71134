// `ptv cluster up|down|status|place|rebalance`: several hosts on this
// machine, each a network namespace with its own management service, and
// VMs placed on them and moved between them by the placement policies that
// `ptv cluster sim` runs on a modelled cluster (sim/cluster/policy).
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/cluster/cluster_view.hpp"
#include "ptv/cluster/hosts.hpp"
#include "ptv/cluster/operations.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"

namespace ptv::cli {

namespace {

using namespace ptv::cluster;

struct Options {
    std::string dir;
    UpOptions up;
    bool json = false;
    double sample_s = 0;
    std::string vm, guest = "counter", cmdline, restart = "never", policy = "first-fit", host;
    uint64_t memory_mib = 64;
    double load = 1;
    bool no_start = false, dry_run = false;
};

std::string dir_of(const Options& o) {
    return o.dir.empty() ? default_cluster_dir() : o.dir;
}

void say(const std::string& line) {
    std::fprintf(stderr, "ptv: %s\n", line.c_str());
}

// A host's failure is an outcome (status 1), not a mistake in the command.
template <class F>
int host_errors_as_status(F&& f) {
    try {
        return f();
    } catch (const HostError& e) {
        std::fprintf(stderr, "ptv: %s\n", e.what());
        return 1;
    } catch (const UsageError&) {
        throw;
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "ptv: cluster: %s\n", e.what());
        return 1;
    }
}

int up(Options& o) {
    o.up.dir = dir_of(o);
    o.up.ptv = executable_dir() + "/ptv";
    return host_errors_as_status([&] {
        const ClusterConfig c = cluster_up(o.up, say);
        std::printf("cluster %s up: %zu hosts on bridge %s (%s.0/24), state in %s\n", c.id.c_str(),
                    c.hosts.size(), c.bridge.c_str(), c.subnet.c_str(), c.dir.c_str());
        return 0;
    });
}

int down(const Options& o) {
    return host_errors_as_status([&] {
        const std::string trace = load_cluster(dir_of(o)).trace;
        cluster_down(dir_of(o), say);
        if (!trace.empty())
            std::printf("the cluster's trace: %s ('ptv viz %s --view cluster')\n", trace.c_str(),
                        trace.c_str());
        return 0;
    });
}

std::string status_table(const ClusterView& v, bool measured) {
    Table t({"HOST", "ADDRESS", "VM", "STATE", "MEMORY MIB", "LOAD", "CPU"});
    t.right_align({4, 5, 6});
    const Cluster c = v.cluster();
    for (size_t i = 0; i < c.size(); ++i) {
        const auto& h = v.config.hosts[i];
        t.row({h.name, h.address, fmt::format("{} VM(s)", c[i].vms.size()),
               v.hosts[i].reachable ? "up" : "unreachable",
               fmt::format("{}/{}", c[i].memory_used(), h.memory_mib),
               fmt::format("{:.2f}/{:g}", c[i].load(), h.cpus), ""});
        for (const auto& vm : v.hosts[i].vms)
            t.row({"", "", vm.name, vm.state, std::to_string(vm.memory_mib),
                   fmt::format("{:.2f}", vm.load),
                   measured && vm.pid ? fmt::format("{:.0f}%", vm.cpu * 100) : "-"});
    }
    return t.render();
}

int status(const Options& o) {
    const ClusterView v = observe(load_cluster(dir_of(o)), o.sample_s);
    if (o.json)
        std::printf("%s\n", to_json(v).dump(2).c_str());
    else
        std::printf("cluster %s (bridge %s, %s.0/24)\n%s", v.config.id.c_str(),
                    v.config.bridge.c_str(), v.config.subnet.c_str(),
                    status_table(v, o.sample_s > 0).c_str());
    return 0;
}

int place_cmd(const Options& o) {
    const auto policy = parse_place_policy(o.policy);
    if (!policy)
        throw UsageError(fmt::format(
            "--policy {} is unknown; give first-fit, best-fit, worst-fit or balance", o.policy));
    if (o.memory_mib == 0) throw UsageError("--memory-mib 0 is too small; give a VM some memory");
    if (!(o.load >= 0)) throw UsageError("--load must be 0 or more (CPUs the VM keeps busy)");
    ClusterConfig c = load_cluster(dir_of(o));
    PlaceRequest r;
    r.vm = {o.vm, o.memory_mib, o.load};
    r.guest = resolve_guest(o.guest);
    r.cmdline = o.cmdline;
    r.restart = o.restart;
    r.policy = *policy;
    r.host = o.host;
    r.start = !o.no_start;
    return host_errors_as_status([&] {
        const Placed p = place_vm(c, r);
        const auto& h = c.hosts[p.host];
        std::printf("%s placed on %s (%s) by %s: %s, %llu MiB, load %.2f%s\n", o.vm.c_str(),
                    h.name.c_str(), h.address.c_str(), o.host.empty() ? o.policy.c_str() : "hand",
                    p.vm.value("state", "").c_str(), (unsigned long long)o.memory_mib, o.load,
                    p.vm.value("pid", 0)
                        ? fmt::format(", worker pid {}", p.vm.value("pid", 0)).c_str()
                        : "");
        return 0;
    });
}

int rebalance_cmd(const Options& o) {
    const auto policy = parse_rebalance_policy(o.policy);
    if (!policy)
        throw UsageError(
            fmt::format("--policy {} is unknown; give consolidate or balance", o.policy));
    ClusterConfig c = load_cluster(dir_of(o));
    RebalanceOptions ro;
    ro.policy = *policy;
    ro.dry_run = o.dry_run;
    return host_errors_as_status([&] {
        Plan plan;
        const auto done = rebalance(c, ro, plan, [](const std::string&) {});
        Table t({"#", "VM", "FROM", "TO", "MEMORY MIB", "HOW", "DOWNTIME MS", "RESULT"});
        t.right_align({0, 4, 6});
        for (size_t i = 0; i < plan.moves.size(); ++i) {
            const Move& m = plan.moves[i];
            std::string how = "-", downtime = "-", result = o.dry_run ? "planned" : "not tried";
            if (i < done.size()) {
                how = done[i].kind;
                downtime = done[i].kind == "live" && done[i].ok
                               ? fmt::format("{:.1f}", done[i].downtime_ms)
                               : "-";
                result = done[i].ok ? "moved" : "failed: " + done[i].error;
            }
            t.row({std::to_string(i + 1), m.vm, c.hosts[m.from].name, c.hosts[m.to].name,
                   std::to_string(m.memory_mib), how, downtime, result});
        }
        std::printf("%s plan: %zu migration(s)%s\n%s", std::string(name(*policy)).c_str(),
                    plan.moves.size(), o.dry_run ? " (dry run: nothing moved)" : "",
                    plan.moves.empty() ? "" : t.render().c_str());
        std::string freed;
        for (size_t h : plan.freed) freed += (freed.empty() ? "" : ", ") + c.hosts[h].name;
        if (!plan.freed.empty())
            std::printf("hosts %s: %s\n", o.dry_run ? "to free" : "freed", freed.c_str());
        for (const auto& d : done)
            if (!d.ok) return 1;
        return 0;
    });
}

}  // namespace

Commands cluster_commands(CLI::App& cluster) {
    auto o = std::make_shared<Options>();
    Commands out;
    auto dir_option = [&](CLI::App* s) {
        s->add_option("--state-dir", o->dir,
                      "the cluster's state (default $PTV_CLUSTER_DIR or /run/ptvlab/cluster)");
    };

    auto* u = cluster.add_subcommand("up", "start N hosts: network namespaces, each with a vmms");
    u->add_option("--hosts", o->up.hosts, "how many hosts (1 to 16)")->required();
    u->add_option("--memory-mib", o->up.memory_mib, "each host's memory for VMs (default 1024)");
    u->add_option("--cpus", o->up.cpus, "each host's CPUs, for the load (default 2)");
    u->add_option("--trace", o->up.trace,
                  "write the cluster's trace here (category cluster: placements, migrations; "
                  "ptv viz FILE --view cluster)");
    dir_option(u);
    out.emplace_back(u, [o] { return up(*o); });

    auto* d = cluster.add_subcommand("down", "stop every host's VMs and service; remove them all");
    dir_option(d);
    out.emplace_back(d, [o] { return down(*o); });

    auto* s = cluster.add_subcommand("status", "each host's VMs, memory and load");
    s->add_flag("--json", o->json, "the status as JSON");
    s->add_option("--sample", o->sample_s, "measure each VM's CPU use over this many seconds");
    dir_option(s);
    out.emplace_back(s, [o] { return status(*o); });

    auto* p = cluster.add_subcommand("place", "pick a host by a policy and create the VM there");
    p->add_option("vm", o->vm, "the VM's name")->required();
    p->add_option("--policy", o->policy, "first-fit, best-fit, worst-fit or balance");
    p->add_option("--host", o->host, "put it on this host (host1 ...) instead of the policy's");
    p->add_option("--guest", o->guest, "the guest it runs (default counter)");
    p->add_option("--memory-mib", o->memory_mib, "its memory (default 64)");
    p->add_option("--load", o->load, "the CPUs it keeps busy, for balancing (default 1)");
    p->add_option("--cmdline", o->cmdline, "the guest's command line");
    p->add_option("--restart", o->restart, "never, on-failure or always");
    p->add_flag("--no-start", o->no_start, "create it there but do not start it");
    dir_option(p);
    out.emplace_back(p, [o] { return place_cmd(*o); });

    auto* r = cluster.add_subcommand(
        "rebalance", "plan migrations by a policy and carry them out (live for running VMs)");
    r->add_option("--policy", o->policy, "consolidate or balance")->required();
    r->add_flag("--dry-run", o->dry_run, "print the plan only");
    dir_option(r);
    out.emplace_back(r, [o] { return rebalance_cmd(*o); });
    return out;
}

}  // namespace ptv::cli
