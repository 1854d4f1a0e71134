#include "ptv/cluster/hosts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ptv/cluster/cluster_trace.hpp"
#include "ptv/cluster/netns.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vmms/client.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ptv::cluster {

namespace {

constexpr int kMaxHosts = 16;

std::string json_path(const std::string& dir) {
    return dir + "/cluster.json";
}

json to_json(const ClusterConfig& c) {
    json hosts = json::array();
    for (const auto& h : c.hosts)
        hosts.push_back({{"name", h.name},
                         {"netns", h.netns},
                         {"address", h.address},
                         {"veth", h.veth},
                         {"memory_mib", h.memory_mib},
                         {"cpus", h.cpus},
                         {"state_dir", h.state_dir},
                         {"socket", h.socket}});
    json stays = json::object();
    for (const auto& [vm, st] : c.vm_stay)
        stays[vm] = {{"host", st.host}, {"since_us", st.since_us}};
    return {{"id", c.id},
            {"bridge", c.bridge},
            {"subnet", c.subnet},
            {"hosts", hosts},
            {"vm_load", c.vm_load},
            {"trace", c.trace},
            {"t0_unix_us", c.t0_unix_us},
            {"vm_tid", c.vm_tid},
            {"vm_stay", stays}};
}

// A name no namespace or link on this machine has yet.
std::string fresh_id() {
    const auto seed = uint32_t(::getpid()) * 2654435761u ^
                      uint32_t(std::chrono::steady_clock::now().time_since_epoch().count());
    for (uint32_t i = 0; i < 0x10000; ++i) {
        const std::string id = fmt::format("{:04x}", (seed + i) & 0xffff);
        if (!netns_exists("ptv" + id + "-h1") && !fs::exists("/sys/class/net/ptv" + id + "br"))
            return id;
    }
    throw std::runtime_error("no free cluster name");
}

// 10.79.X with X not used by any address here, so that clusters side by
// side (parallel tests) do not share a subnet.
std::string fresh_subnet() {
    const auto used = ipv4_addresses();
    for (int x = 1; x < 250; ++x) {
        const std::string subnet = fmt::format("10.79.{}", x);
        bool taken = false;
        for (const auto& a : used) taken |= a.rfind(subnet + ".", 0) == 0;
        if (!taken) return subnet;
    }
    throw std::runtime_error("no free subnet in 10.79.0.0/16");
}

bool alive(pid_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH);
}

void wait_gone(const std::vector<pid_t>& pids, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (pid_t p : pids)
        while (alive(p) && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Asks host's service to stop with its VMs; true when it went.
void stop_service(const HostInfo& h, const Say& say) {
    if (!fs::exists(h.socket)) return;
    try {
        vmms::Client c(h.socket);
        const json pong = c.request({{"op", "ping"}});
        const pid_t pid = pong.value("pid", 0);
        c.request({{"op", "shutdown"}, {"stop_vms", true}});
        wait_gone({pid}, std::chrono::seconds(10));
        say(fmt::format("{}: vmms (pid {}) stopped with its VMs", h.name, pid));
    } catch (const UsageError&) {
        // No service answers: whatever still runs in the namespace is
        // killed below.
    }
}

}  // namespace

const HostInfo* ClusterConfig::host(const std::string& name) const {
    for (const auto& h : hosts)
        if (h.name == name) return &h;
    return nullptr;
}

std::string default_cluster_dir() {
    const char* d = std::getenv("PTV_CLUSTER_DIR");
    return d && *d ? d : "/run/ptvlab/cluster";
}

ClusterConfig load_cluster(const std::string& dir) {
    std::ifstream in(json_path(dir));
    if (!in)
        throw UsageError(
            fmt::format("no cluster is up at {}; start one with 'ptv cluster up --hosts N'", dir));
    json j;
    try {
        in >> j;
    } catch (const json::exception&) {
        throw UsageError(fmt::format("{} is damaged; remove the cluster with 'ptv cluster down'",
                                     json_path(dir)));
    }
    ClusterConfig c;
    c.dir = dir;
    c.id = j.value("id", "");
    c.bridge = j.value("bridge", "");
    c.subnet = j.value("subnet", "");
    const json hosts = j.value("hosts", json::array());
    for (const auto& h : hosts)
        c.hosts.push_back({h.value("name", ""), h.value("netns", ""), h.value("address", ""),
                           h.value("veth", ""), h.value("memory_mib", uint64_t(0)),
                           h.value("cpus", 0.0), h.value("state_dir", ""), h.value("socket", "")});
    c.vm_load = j.value("vm_load", std::map<std::string, double>{});
    c.trace = j.value("trace", "");
    c.t0_unix_us = j.value("t0_unix_us", 0.0);
    c.vm_tid = j.value("vm_tid", std::map<std::string, int>{});
    const json stays = j.value("vm_stay", json::object());
    for (const auto& [vm, st] : stays.items())
        c.vm_stay[vm] = {st.value("host", std::size_t(0)), st.value("since_us", 0.0)};
    return c;
}

void save_cluster(const ClusterConfig& c) {
    const std::string tmp = json_path(c.dir) + ".tmp";
    {
        std::ofstream out(tmp);
        out << to_json(c).dump(2) << "\n";
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, json_path(c.dir));
}

ClusterConfig cluster_up(const UpOptions& o, const Say& say) {
    if (::geteuid() != 0)
        throw UsageError("a cluster needs root (network namespaces and a bridge); run as root");
    if (o.hosts < 1 || o.hosts > kMaxHosts)
        throw UsageError(
            fmt::format("--hosts {} is out of range; give 1 to {} hosts", o.hosts, kMaxHosts));
    if (o.memory_mib < 16)
        throw UsageError(fmt::format("--memory-mib {} is too small; give at least 16 MiB per host",
                                     o.memory_mib));
    if (!(o.cpus > 0 && o.cpus <= 1024))
        throw UsageError(fmt::format("--cpus {} is out of range; give a number above 0", o.cpus));
    if (fs::exists(json_path(o.dir)))
        throw UsageError(fmt::format(
            "a cluster is already up at {}; 'ptv cluster status' shows it, 'ptv cluster down' "
            "removes it",
            o.dir));

    ClusterConfig c;
    c.dir = o.dir;
    c.t0_unix_us = unix_us();
    if (!o.trace.empty()) {
        c.trace = fs::absolute(o.trace).string();
        std::FILE* t = std::fopen(c.trace.c_str(), "w");
        if (!t)
            throw UsageError(fmt::format("cannot write the trace {}: {}; choose another --trace",
                                         c.trace, std::strerror(errno)));
        std::fclose(t);
    }
    fs::create_directories(c.dir);
    try {
        {
            // Two clusters coming up at once must not pick the same name or
            // subnet: the choice and the bridge's address are made under a
            // lock (on /run itself, so that no lock file is left behind).
            const int lock = ::open("/run", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (lock >= 0) ::flock(lock, LOCK_EX);
            try {
                c.id = fresh_id();
                c.subnet = fresh_subnet();
                c.bridge = "ptv" + c.id + "br";
                save_cluster(c);
                ip({"link", "add", "name", c.bridge, "type", "bridge"});
                ip({"addr", "add", c.subnet + ".254/24", "dev", c.bridge});
            } catch (...) {
                if (lock >= 0) ::close(lock);
                throw;
            }
            if (lock >= 0) ::close(lock);
        }
        ip({"link", "set", c.bridge, "up"});
        for (int k = 1; k <= o.hosts; ++k) {
            HostInfo h;
            h.name = fmt::format("host{}", k);
            h.netns = fmt::format("ptv{}-h{}", c.id, k);
            h.address = fmt::format("{}.{}", c.subnet, k);
            h.memory_mib = o.memory_mib;
            h.cpus = o.cpus;
            h.state_dir = fmt::format("{}/{}", c.dir, h.name);
            h.socket = h.state_dir + "/vmms.sock";
            ip({"netns", "add", h.netns});
            c.hosts.push_back(h);
            save_cluster(c);
            // A veth pair: one end on the bridge, the other the host's eth0.
            const std::string outside = fmt::format("ptv{}h{}", c.id, k);
            const std::string inside = fmt::format("ptv{}i{}", c.id, k);
            c.hosts.back().veth = outside;
            save_cluster(c);
            ip({"link", "add", outside, "type", "veth", "peer", "name", inside});
            ip({"link", "set", inside, "netns", h.netns});
            ip({"link", "set", outside, "master", c.bridge});
            ip({"link", "set", outside, "up"});
            ip({"-n", h.netns, "link", "set", inside, "name", "eth0"});
            ip({"-n", h.netns, "addr", "add", h.address + "/24", "dev", "eth0"});
            ip({"-n", h.netns, "link", "set", "eth0", "up"});
            ip({"-n", h.netns, "link", "set", "lo", "up"});
            ip({"-n", h.netns, "route", "add", "default", "via", c.subnet + ".254"});
            fs::create_directories(h.state_dir);
            std::string err;
            if (run_in_netns(h.netns,
                             {o.ptv, "vmms", "start", "--daemon", "--socket", h.socket,
                              "--state-dir", h.state_dir},
                             &err) != 0)
                throw std::runtime_error(fmt::format("{}: its vmms did not start: {}", h.name,
                                                     err.substr(0, err.find('\n'))));
            say(fmt::format("{}: namespace {}, address {}, vmms at {}", h.name, h.netns, h.address,
                            h.socket));
        }
    } catch (...) {
        cluster_down(c.dir, [](const std::string&) {});
        if (!c.trace.empty()) ::unlink(c.trace.c_str());
        throw;
    }
    trace_up(c);
    save_cluster(c);
    return c;
}

void cluster_down(const std::string& dir, const Say& say) {
    ClusterConfig c = load_cluster(dir);
    trace_down(c);
    for (const auto& h : c.hosts) stop_service(h, say);
    // Anything left in a namespace (a worker the service could not stop, a
    // server) goes with it.
    for (const auto& h : c.hosts) {
        auto pids = netns_pids(h.netns);
        for (pid_t p : pids) ::kill(p, SIGKILL);
        wait_gone(pids, std::chrono::seconds(5));
        if (!pids.empty()) say(fmt::format("{}: killed {} process(es) left", h.name, pids.size()));
        // The pair's outer end first: a namespace's own links go with it only
        // once the kernel has finished tearing it down, which is later.
        if (!h.veth.empty() && fs::exists("/sys/class/net/" + h.veth))
            ip_quiet({"link", "del", h.veth});
        if (netns_exists(h.netns)) ip_quiet({"netns", "del", h.netns});
    }
    if (!c.bridge.empty() && fs::exists("/sys/class/net/" + c.bridge))
        ip_quiet({"link", "del", c.bridge});
    std::error_code ec;
    fs::remove_all(dir, ec);
    say(fmt::format("cluster {} removed: {} host(s), bridge {}, {}", c.id, c.hosts.size(), c.bridge,
                    dir));
}

}  // namespace ptv::cluster
