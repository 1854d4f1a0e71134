// HAProxy as bench-switch runs it: TCP mode (a layer-4 switch, as ours),
// one thread, the same balance algorithm and health checks as the switch
// it is compared with, from a configuration file in a temporary directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "processes.hpp"

namespace bench_switch {

// HAProxy's name for each of the switch's policies.
std::string haproxy_balance(const std::string& policy);

// The configuration: `listen` on 127.0.0.1:port, `servers` the back ends'
// ports on 127.0.0.1, checks every check_ms (fall 1, rise 1: one failed
// or answered connect changes the state, as in the switch).
std::string haproxy_config(const std::string& policy, int port, const std::vector<int>& servers,
                           int check_ms);

// haproxy -db -q -f DIR/haproxy.cfg in the foreground; stopped (SIGTERM,
// then SIGKILL) and its configuration removed by the destructor.
class Haproxy {
  public:
    Haproxy(const std::string& haproxy, const std::string& dir, const std::string& policy, int port,
            const std::vector<int>& servers, int check_ms);
    ~Haproxy();
    bool ok() const { return ok_; }

  private:
    std::string config_;
    std::unique_ptr<bench_servers::Child> child_;
    bool ok_ = false;
};

}  // namespace bench_switch
