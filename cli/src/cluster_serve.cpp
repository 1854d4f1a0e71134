// `ptv cluster serve`: a server cluster (Tanenbaum & van Steen, Fig. 3-12)
// on the cluster's hosts. Each host runs `ptv servers run` in its own
// network namespace, the tier of application servers; a front-end switch
// (sim/servers/switch) in this namespace takes the clients' connections and
// hands each to one server by its policy, and takes a server that stops
// answering out of rotation.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/cluster/hosts.hpp"
#include "ptv/cluster/netns.hpp"
#include "ptv/common/error.hpp"
#include "ptv/servers/arch/architecture.hpp"
#include "ptv/servers/switch/front_end_switch.hpp"

namespace ptv::cli {

namespace {

namespace fe = ptv::servers::frontend;

constexpr uint16_t kServerPort = 8080;  // in every host's namespace

struct ServeOptions {
    std::string dir, arch = "dispatcher-worker", policy = "round-robin", listen = "127.0.0.1:0",
                     root = ".";
    int hosts = 0;  // 0: all
    int check_ms = 200;
};

// The tier: one server per host, each a child of ours in the host's
// namespace, stopped (SIGTERM, then SIGKILL) however serve ends.
struct Tier {
    std::vector<pid_t> pids;
    ~Tier() {
        for (pid_t p : pids)
            if (p > 0) ::kill(p, SIGTERM);
        for (pid_t p : pids) {
            if (p <= 0) continue;
            int status = 0;
            for (int i = 0; i < 150 && ::waitpid(p, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (::kill(p, 0) == 0) {
                ::kill(p, SIGKILL);
                ::waitpid(p, &status, 0);
            }
        }
    }
};

bool answers(const fe::Address& a) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in sa = a.sockaddr();
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
}

std::string last_line(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return "";
    std::string line, last;
    char buf[512];
    while (std::fgets(buf, sizeof buf, f)) {
        line = buf;
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (!line.empty()) last = line;
    }
    std::fclose(f);
    return last;
}

int serve(const ServeOptions& o) {
    servers::arch::parse_architecture(o.arch);  // a mistake is a UsageError, before anything runs
    const fe::Policy policy = fe::parse_policy(o.policy);
    const fe::Address listen = fe::parse_address(o.listen, "--listen", true);
    if (o.check_ms < 10 || o.check_ms > 60000)
        throw UsageError(
            fmt::format("--check-ms {} is out of range; give 10 to 60000", o.check_ms));
    const cluster::ClusterConfig c =
        cluster::load_cluster(o.dir.empty() ? cluster::default_cluster_dir() : o.dir);
    const int n = o.hosts == 0 ? int(c.hosts.size()) : o.hosts;
    if (n < 1 || n > int(c.hosts.size()))
        throw UsageError(fmt::format("--hosts {}: the cluster has {} host(s); give 1 to {}", n,
                                     c.hosts.size(), c.hosts.size()));
    const std::string root = std::filesystem::absolute(o.root).string();
    if (!std::filesystem::is_directory(root))
        throw UsageError(fmt::format("--root {} is not a directory", o.root));

    fe::SwitchOptions so;
    so.listen = listen;
    so.policy = policy;
    so.check_interval = std::chrono::milliseconds(o.check_ms);
    Tier tier;
    for (int k = 0; k < n; ++k) {
        const auto& h = c.hosts[k];
        so.backends.push_back(
            fe::parse_address(fmt::format("{}:{}", h.address, kServerPort), "--hosts", false));
        tier.pids.push_back(cluster::spawn_in_netns(
            h.netns,
            {executable_dir() + "/ptv", "servers", "run", "--arch", o.arch, "--host", h.address,
             "--port", std::to_string(kServerPort), "--root", root},
            h.state_dir + "/server.log", SIGTERM));
    }
    // Each server answers before the switch takes clients.
    for (int k = 0; k < n; ++k) {
        bool up = false;
        for (int i = 0; i < 500 && !up; ++i) {
            up = answers(so.backends[k]);
            int status = 0;
            if (!up && ::waitpid(tier.pids[k], &status, WNOHANG) == tier.pids[k]) {
                tier.pids[k] = 0;
                throw std::runtime_error(
                    fmt::format("the server on {} ended: {}", c.hosts[k].name,
                                last_line(c.hosts[k].state_dir + "/server.log")));
            }
            if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!up)
            throw std::runtime_error(
                fmt::format("the server on {} did not answer within 5 s", c.hosts[k].name));
    }

    fe::FrontEndSwitch sw(so);
    sw.stop_on_signals();
    sw.on_health_change([&](const fe::HealthChange& ch) {
        std::printf("ptv cluster: %s (%s) is %s%s\n", c.hosts[ch.backend].name.c_str(),
                    ch.address.text().c_str(), ch.up ? "up again" : "down",
                    ch.up ? "" : fmt::format(" ({}): out of rotation", ch.reason).c_str());
        std::fflush(stdout);
    });
    std::string tier_text;
    for (int k = 0; k < n; ++k)
        tier_text += fmt::format("{}{} {}", k ? ", " : "", c.hosts[k].name, so.backends[k].text());
    std::printf(
        "ptv cluster: switch (%s) on http://%s:%d/ in front of %d %s server(s): %s; Ctrl-C "
        "stops\n",
        std::string(sw.policy_name()).c_str(), listen.host().c_str(), sw.port(), n, o.arch.c_str(),
        tier_text.c_str());
    std::fflush(stdout);
    sw.run();
    std::printf("ptv cluster: switch stopped\n%s", fe::render(sw.stats()).c_str());
    return 0;
}

}  // namespace

Commands cluster_serve_commands(CLI::App& cluster) {
    auto o = std::make_shared<ServeOptions>();
    auto* s = cluster.add_subcommand(
        "serve", "a server cluster (Fig. 3-12): a server on each host behind a front-end switch");
    s->add_option("--arch", o->arch, servers::arch::architecture_names())->capture_default_str();
    s->add_option("--hosts", o->hosts,
                  "how many of the cluster's hosts run a server (default all)");
    s->add_option("--switch", o->policy, "round-robin, least-connections or hash")
        ->capture_default_str();
    s->add_option("--listen", o->listen, "ADDR:PORT the switch takes clients on (port 0: any)")
        ->capture_default_str();
    s->add_option("--root", o->root, "the directory every server serves")->capture_default_str();
    s->add_option("--check-ms", o->check_ms, "MS between health checks of every server")
        ->capture_default_str();
    s->add_option("--state-dir", o->dir, "the cluster's state (default $PTV_CLUSTER_DIR)");
    return {{s, [o] {
                 try {
                     return serve(*o);
                 } catch (const std::runtime_error& e) {
                     if (dynamic_cast<const UsageError*>(&e)) throw;
                     std::fprintf(stderr, "ptv: cluster serve: %s\n", e.what());
                     return 1;
                 }
             }}};
}

}  // namespace ptv::cli
