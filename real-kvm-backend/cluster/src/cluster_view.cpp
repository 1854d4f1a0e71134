#include "ptv/cluster/cluster_view.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "ptv/common/error.hpp"
#include "ptv/vmms/client.hpp"

using nlohmann::json;

namespace ptv::cluster {

namespace {

// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14, 15).
long cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!pid || !std::getline(in, line)) return -1;
    // The command name may hold spaces: count fields after its ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
}

}  // namespace

Cluster ClusterView::cluster() const {
    Cluster out;
    for (size_t i = 0; i < config.hosts.size(); ++i) {
        const auto& h = config.hosts[i];
        Host host{h.name, h.memory_mib, h.cpus, hosts[i].reachable, {}};
        for (const auto& v : hosts[i].vms) host.vms.push_back({v.name, v.memory_mib, v.load});
        out.push_back(std::move(host));
    }
    return out;
}

int ClusterView::host_of(const std::string& vm) const {
    for (size_t i = 0; i < hosts.size(); ++i)
        for (const auto& v : hosts[i].vms)
            if (v.name == vm) return int(i);
    return -1;
}

ClusterView observe(const ClusterConfig& config, double sample_s) {
    ClusterView view{config, {}};
    for (const auto& h : config.hosts) {
        HostStatus s;
        try {
            vmms::Client c(h.socket);
            const json reply = c.request({{"op", "list"}});
            if (!reply.value("ok", false)) throw UsageError(reply.value("error", "no answer"));
            s.reachable = true;
            for (const auto& row : reply.value("vms", json::array())) {
                VmStatus v;
                v.name = row.value("name", "");
                v.state = row.value("state", "");
                v.memory_mib = row.value("memory_mib", uint64_t(0));
                v.pid = row.value("pid", 0);
                const auto load = config.vm_load.find(v.name);
                v.load = load == config.vm_load.end() ? 0 : load->second;
                s.vms.push_back(v);
            }
        } catch (const UsageError& e) {
            s.error = e.what();
        }
        view.hosts.push_back(std::move(s));
    }
    if (sample_s > 0) {
        std::vector<long> before;
        for (const auto& h : view.hosts)
            for (const auto& v : h.vms) before.push_back(cpu_ticks(v.pid));
        std::this_thread::sleep_for(std::chrono::duration<double>(sample_s));
        const double hz = double(::sysconf(_SC_CLK_TCK));
        size_t i = 0;
        for (auto& h : view.hosts)
            for (auto& v : h.vms) {
                const long after = cpu_ticks(v.pid), b = before[i++];
                v.cpu = (after >= 0 && b >= 0) ? double(after - b) / hz / sample_s : 0;
            }
    }
    return view;
}

json to_json(const ClusterView& view) {
    json hosts = json::array();
    const Cluster c = view.cluster();
    for (size_t i = 0; i < c.size(); ++i) {
        const auto& cfg = view.config.hosts[i];
        json vms = json::array();
        for (const auto& v : view.hosts[i].vms)
            vms.push_back({{"name", v.name},
                           {"state", v.state},
                           {"memory_mib", v.memory_mib},
                           {"load", v.load},
                           {"pid", v.pid},
                           {"cpu", v.cpu}});
        json h = {{"name", cfg.name},
                  {"address", cfg.address},
                  {"netns", cfg.netns},
                  {"reachable", view.hosts[i].reachable},
                  {"memory_mib", cfg.memory_mib},
                  {"memory_used_mib", c[i].memory_used()},
                  {"cpus", cfg.cpus},
                  {"load", c[i].load()},
                  {"vms", vms}};
        if (!view.hosts[i].reachable) h["error"] = view.hosts[i].error;
        hosts.push_back(h);
    }
    return {{"id", view.config.id},
            {"bridge", view.config.bridge},
            {"subnet", view.config.subnet},
            {"hosts", hosts}};
}

}  // namespace ptv::cluster
