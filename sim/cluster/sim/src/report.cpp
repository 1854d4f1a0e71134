// Problem, answers and JSON of `ptv cluster sim` (see report.hpp).
#include "ptv/cluster/sim/report.hpp"

#include <fmt/format.h>

#include "ptv/common/table.hpp"

namespace ptv::cluster::sim {

namespace {

std::string load_text(double load) {
    return fmt::format("{:g}", load);
}

std::string share_text(const Host& h) {
    return fmt::format("{:g}/{:g}", h.load(), h.cpus);
}

std::string place_words(PlacePolicy p) {
    switch (p) {
        case PlacePolicy::FirstFit:
            return "the first host, in host order, it fits on";
        case PlacePolicy::BestFit:
            return "the host it leaves with the least free memory";
        case PlacePolicy::WorstFit:
            return "the host it leaves with the most free memory";
        case PlacePolicy::Balance:
            return "the host with the lowest CPU load (load / CPUs) after placing it";
    }
    return "";
}

std::string rebalance_words(const std::optional<RebalancePolicy>& p) {
    if (!p) return "none (no rebalancing)";
    if (*p == RebalancePolicy::Consolidate)
        return "consolidate (empty the least-used hosts onto the others, best fit, and power "
               "them off)";
    return "balance (move VMs from the most to the least loaded host while the spread of "
           "load / CPUs narrows)";
}

std::string hosts_table(const Cluster& c, bool with_vms) {
    std::vector<std::string> headers = {"host", "memory (MiB)", "CPUs"};
    if (with_vms) headers = {"host", "state", "VMs", "memory used (MiB)", "load (CPUs)"};
    Table t(headers);
    t.right_align(with_vms ? std::vector<size_t>{3, 4} : std::vector<size_t>{1, 2});
    for (std::size_t i = 0; i < c.size(); ++i) {
        const Host& h = c[i];
        if (!with_vms) {
            t.row({host_name(i), std::to_string(h.memory_mib), fmt::format("{:g}", h.cpus)});
            continue;
        }
        std::string vms;
        for (const auto& vm : h.vms) vms += (vms.empty() ? "" : " ") + vm.name;
        t.row({host_name(i), h.on ? "on" : "off", vms.empty() ? "-" : vms,
               fmt::format("{}/{}", h.memory_used(), h.memory_mib), share_text(h)});
    }
    return t.render();
}

std::string names(const std::vector<std::size_t>& hosts) {
    std::string s;
    for (auto i : hosts) s += (s.empty() ? "" : ", ") + host_name(i);
    return s.empty() ? "none" : s;
}

}  // namespace

std::string host_name(std::size_t index) {
    return fmt::format("h{}", index + 1);
}

std::string render_problem(const Problem& p) {
    const Config& c = p.cfg;
    std::string s = "VM placement and consolidation (ch. 3): a deterministic cluster simulator.\n";
    s += fmt::format("Problem of seed {}.\n", p.seed);
    s += fmt::format("{} hosts, all on and empty:\n", c.hosts.size());
    s += hosts_table(c.hosts, false);
    s += "VMs arrive one a second; a VM that leaves goes before that second's arrival:\n";
    {
        Table t({"t (s)", "event", "VM", "memory (MiB)", "load (CPUs)"});
        t.right_align({0, 3, 4});
        for (uint32_t step = 0; step < c.vms.size(); ++step) {
            for (const auto& v : c.vms)
                if (v.leaves == step) t.row({std::to_string(step), "leave", v.vm.name, "", ""});
            for (const auto& v : c.vms)
                if (v.arrives == step)
                    t.row({std::to_string(step), "arrive", v.vm.name,
                           std::to_string(v.vm.memory_mib), load_text(v.vm.load)});
        }
        s += t.render();
    }
    s += fmt::format(
        "Placement: {}: {}; a VM fits where memory used + its memory <= the "
        "host's memory (CPU may be overcommitted); ties go to the first host.\n",
        name(c.place), place_words(c.place));
    s += fmt::format("Rebalancing at t = {} s: {}.\n", c.vms.size(), rebalance_words(c.rebalance));
    s += fmt::format(
        "Each migration is live: pre-copy with QEMU's rule (300 ms downtime limit) over {} "
        "pages/s of 4 KiB;\na VM of load L rewrites a working set of 1/16 of its memory at L x "
        "{} pages/s (sim/cluster/README.md).\n",
        kLinkPagesPerSecond, kDirtyPagesPerCpu);
    s += "\nQuestions:\n";
    s += "  1. Which host does each VM land on, and which VMs fit nowhere?\n";
    if (c.rebalance) {
        s += "  2. Which migrations (VM, from, to) does the rebalancing plan make, and which "
             "hosts are powered off?\n";
        s += "  3. How many bytes does each migration move, and how many in all?\n";
    }
    return s;
}

std::string render_answers(const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    std::string s = render_problem(p) + "\nAnswers:\n";
    {
        Table t({"t (s)", "VM", "memory (MiB)", "host"});
        t.right_align({0, 2});
        for (const auto& pl : r.placements) {
            uint64_t mib = 0;
            for (const auto& v : c.vms)
                if (v.vm.name == pl.vm) mib = v.vm.memory_mib;
            t.row({std::to_string(pl.step), pl.vm, std::to_string(mib),
                   pl.host ? host_name(*pl.host) : "fits nowhere"});
        }
        s += "Placements (" + std::string(name(c.place)) + "):\n" + t.render();
    }
    const auto nowhere = r.fits_nowhere();
    std::string nowhere_list;
    for (const auto& n : nowhere) nowhere_list += (nowhere_list.empty() ? "" : ", ") + n;
    s += fmt::format("Fits nowhere: {}.\n", nowhere.empty() ? "none" : nowhere_list);
    if (!r.departures.empty()) {
        std::string left;
        for (const auto& d : r.departures)
            left += fmt::format("{}{} from {} at {} s", left.empty() ? "" : ", ", d.vm,
                                host_name(d.host), d.step);
        s += fmt::format("Departures: {}.\n", left);
    }
    s += fmt::format("\nThe cluster at t = {} s:\n", c.vms.size());
    s += hosts_table(r.before, true);
    if (!c.rebalance) return s + "No rebalancing.\n";
    s += fmt::format("\nRebalancing ({}): {} migration{}.\n", name(*c.rebalance),
                     r.migrations.size(), r.migrations.size() == 1 ? "" : "s");
    if (!r.migrations.empty()) {
        Table t({"#", "VM", "from", "to", "memory (MiB)", "dirty model", "rounds", "pages sent",
                 "bytes", "downtime (ms)", "time (ms)"});
        t.right_align({0, 4, 6, 7, 8, 9, 10});
        for (std::size_t i = 0; i < r.migrations.size(); ++i) {
            const auto& m = r.migrations[i];
            t.row({std::to_string(i + 1), m.move.vm, host_name(m.move.from), host_name(m.move.to),
                   std::to_string(m.move.memory_mib), m.cost.dirty, std::to_string(m.cost.rounds),
                   std::to_string(m.cost.pages_sent), std::to_string(m.cost.bytes),
                   fmt::format("{:.3f}", m.cost.downtime_ms),
                   fmt::format("{:.3f}", m.cost.total_ms)});
        }
        s += t.render();
    }
    s += fmt::format("Hosts powered off: {}.\n", names(r.plan.freed));
    s += fmt::format("Bytes moved: {} in all ({:.1f} MiB).\n", r.bytes_total,
                     double(r.bytes_total) / 1048576.0);
    s += "\nThe cluster after rebalancing:\n" + hosts_table(r.after, true);
    return s;
}

nlohmann::json to_json(const Problem& p, const Result& r, bool answers) {
    const Config& c = p.cfg;
    auto hosts_json = [](const Cluster& cluster) {
        nlohmann::json hs = nlohmann::json::array();
        for (std::size_t i = 0; i < cluster.size(); ++i) {
            const Host& h = cluster[i];
            nlohmann::json vms = nlohmann::json::array();
            for (const auto& vm : h.vms) vms.push_back(vm.name);
            hs.push_back({{"host", host_name(i)},
                          {"memory_mib", h.memory_mib},
                          {"cpus", h.cpus},
                          {"on", h.on},
                          {"vms", vms},
                          {"memory_used_mib", h.memory_used()},
                          {"load", h.load()}});
        }
        return hs;
    };
    nlohmann::json vms = nlohmann::json::array();
    for (const auto& v : c.vms)
        vms.push_back({{"vm", v.vm.name},
                       {"memory_mib", v.vm.memory_mib},
                       {"load", v.vm.load},
                       {"arrives_s", v.arrives},
                       {"leaves_s", v.leaves ? nlohmann::json(*v.leaves) : nlohmann::json()}});
    nlohmann::json hosts = nlohmann::json::array();
    for (std::size_t i = 0; i < c.hosts.size(); ++i)
        hosts.push_back({{"host", host_name(i)},
                         {"memory_mib", c.hosts[i].memory_mib},
                         {"cpus", c.hosts[i].cpus}});
    nlohmann::json j = {{"seed", p.seed},
                        {"config",
                         {{"hosts", hosts},
                          {"vms", vms},
                          {"place", name(c.place)},
                          {"rebalance", c.rebalance ? name(*c.rebalance) : "none"},
                          {"link_pages_per_s", kLinkPagesPerSecond},
                          {"dirty_pages_per_cpu", kDirtyPagesPerCpu}}}};
    if (!answers) return j;
    nlohmann::json placements = nlohmann::json::array();
    for (const auto& pl : r.placements)
        placements.push_back(
            {{"vm", pl.vm},
             {"t_s", pl.step},
             {"host", pl.host ? nlohmann::json(host_name(*pl.host)) : nlohmann::json()}});
    nlohmann::json departures = nlohmann::json::array();
    for (const auto& d : r.departures)
        departures.push_back({{"vm", d.vm}, {"t_s", d.step}, {"host", host_name(d.host)}});
    nlohmann::json migrations = nlohmann::json::array();
    for (const auto& m : r.migrations)
        migrations.push_back({{"vm", m.move.vm},
                              {"from", host_name(m.move.from)},
                              {"to", host_name(m.move.to)},
                              {"memory_mib", m.move.memory_mib},
                              {"dirty", m.cost.dirty},
                              {"rounds", m.cost.rounds},
                              {"pages_sent", m.cost.pages_sent},
                              {"bytes", m.cost.bytes},
                              {"downtime_ms", m.cost.downtime_ms},
                              {"time_ms", m.cost.total_ms},
                              {"start_s", m.start_s},
                              {"end_s", m.end_s}});
    nlohmann::json off = nlohmann::json::array();
    for (auto i : r.plan.freed) off.push_back(host_name(i));
    j["answers"] = {{"placements", placements},     {"fits_nowhere", r.fits_nowhere()},
                    {"departures", departures},     {"before", hosts_json(r.before)},
                    {"migrations", migrations},     {"powered_off", off},
                    {"bytes_total", r.bytes_total}, {"after", hosts_json(r.after)}};
    return j;
}

}  // namespace ptv::cluster::sim
