// HAProxy for bench-switch (see haproxy.hpp).
#include "haproxy.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>

namespace bench_switch {

std::string haproxy_balance(const std::string& policy) {
    if (policy == "least-connections") return "leastconn";
    // Consistent hashing moves only the clients of a server that goes down,
    // as the switch's rendezvous hashing does.
    if (policy == "hash") return "source\n    hash-type consistent";
    return "roundrobin";
}

std::string haproxy_config(const std::string& policy, int port, const std::vector<int>& servers,
                           int check_ms) {
    // One thread, like the switch's one event loop; its connection limit
    // from the descriptor limit (as the switch's); timeouts long enough
    // never to end a connection during a run; a connect that fails is
    // retried once, on another server (redispatch), as the switch does.
    std::string cfg = fmt::format(
        "global\n    nbthread 1\n\n"
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 60s\n"
        "    timeout server 60s\n    retries 1\n    option redispatch\n\n"
        "listen switch\n    bind 127.0.0.1:{}\n    balance {}\n"
        "    default-server check inter {}ms fall 1 rise 1\n",
        port, haproxy_balance(policy), check_ms);
    for (size_t i = 0; i < servers.size(); ++i)
        cfg += fmt::format("    server b{} 127.0.0.1:{}\n", i, servers[i]);
    return cfg;
}

Haproxy::Haproxy(const std::string& haproxy, const std::string& dir, const std::string& policy,
                 int port, const std::vector<int>& servers, int check_ms)
    : config_(dir + "/haproxy.cfg") {
    std::ofstream(config_) << haproxy_config(policy, port, servers, check_ms);
    // -db: in the foreground, not a daemon, so that it is our child; -q:
    // no start-up chatter.
    child_ = std::make_unique<bench_servers::Child>(
        std::vector<std::string>{haproxy, "-db", "-q", "-f", config_}, false);
    ok_ = bench_servers::wait_listening(port, 5);
}

Haproxy::~Haproxy() {
    child_->stop(SIGTERM, 5);
    unlink(config_.c_str());
}

}  // namespace bench_switch
