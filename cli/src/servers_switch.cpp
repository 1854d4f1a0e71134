// `ptv servers switch`: the front-end switch of a server cluster (Fig. 3-12)
// in front of servers already running (sim/servers/switch).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/servers/switch/front_end_switch.hpp"

namespace ptv::cli {

namespace {

namespace sf = ptv::servers::frontend;

struct SwitchArgs {
    std::string listen = "127.0.0.1:8000";
    std::vector<std::string> backends;
    std::string policy = "round-robin";
    int check_ms = 200;
    bool stats = false;
};

int run_switch(const SwitchArgs& a) {
    if (a.backends.empty())
        throw UsageError("no back end; give at least one with --backend ADDR:PORT");
    sf::SwitchOptions o;
    o.listen = sf::parse_address(a.listen, "--listen", true);
    for (const std::string& b : a.backends)
        o.backends.push_back(sf::parse_address(b, "--backend", false));
    o.policy = sf::parse_policy(a.policy);
    o.check_interval = std::chrono::milliseconds(a.check_ms);
    sf::FrontEndSwitch sw(o);  // a port in use is a usage error here
    sw.on_health_change([](const sf::HealthChange& c) {
        if (c.up)
            std::printf("ptv servers: back end %s is up again\n", c.address.text().c_str());
        else
            std::printf("ptv servers: back end %s is down (%s)\n", c.address.text().c_str(),
                        c.reason.c_str());
        std::fflush(stdout);
    });
    if (a.stats)
        sw.on_report(std::chrono::seconds(1), [](const sf::SwitchStats& s) {
            std::fputs(sf::render(s).c_str(), stdout);
            std::fflush(stdout);
        });
    sw.stop_on_signals();
    // The same form as `ptv servers run`'s line, which scripts read the port from.
    std::printf("ptv servers: switch (%s, %zu back ends) on http://%s:%d/ (pid %d); Ctrl-C stops\n",
                std::string(sw.policy_name()).c_str(), o.backends.size(), o.listen.host().c_str(),
                sw.port(), int(getpid()));
    std::string list;
    for (const auto& b : o.backends) list += (list.empty() ? "" : ", ") + b.text();
    std::printf("back ends: %s; health check every %d ms\n", list.c_str(), a.check_ms);
    std::fflush(stdout);
    sw.run();
    const sf::SwitchStats s = sw.stats();
    std::printf("ptv servers: switch stopped\n%s", sf::render(s).c_str());
    return 0;
}

}  // namespace

Commands servers_switch_commands(CLI::App& servers) {
    auto a = std::make_shared<SwitchArgs>();
    auto* cmd = servers.add_subcommand(
        "switch",
        "the front-end switch of a server cluster (Fig. 3-12): relays each TCP connection to "
        "one back end by policy, with health checks");
    cmd->add_option("--listen", a->listen, "ADDR:PORT to accept clients on (port 0: any free port)")
        ->capture_default_str();
    cmd->add_option("--backend", a->backends, "ADDR:PORT of a server of the tier (repeat it)");
    cmd->add_option("--policy", a->policy,
                    "round-robin | least-connections | hash (of the "
                    "client's address)")
        ->capture_default_str();
    cmd->add_option("--check-ms", a->check_ms, "MS between health checks of every back end")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    cmd->add_flag("--stats", a->stats, "print the counters of every back end each second");
    return {{cmd, [a] { return run_switch(*a); }}};
}

}  // namespace ptv::cli
