// The switch's active health check: every round, a TCP connect to each back
// end (a server that accepts connections is up; HAProxy's plain `check` on
// a TCP back end does the same). Private to the switch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ptv/servers/switch/address.hpp"
#include "relay.hpp"

namespace ptv::servers::frontend {

class HealthChecks {
  public:
    struct Result {
        size_t backend = 0;
        bool ok = false;
        std::string reason;       // why not
        uint64_t started_ns = 0;  // when the check was started
        bool stale = false;       // an event for a check that is already over: ignore it
    };

    HealthChecks(int epoll_fd, std::span<const Address> backends);
    ~HealthChecks();  // closes the checks in flight
    HealthChecks(const HealthChecks&) = delete;
    HealthChecks& operator=(const HealthChecks&) = delete;

    // Starts a check of every back end. A check of the last round still
    // unanswered has failed: a server that does not complete a handshake
    // within a period is as good as down. Results known at once go to `out`.
    void round(uint64_t now_ns, std::vector<Result>& out);
    // The check of `backend` answered (an epoll event on its socket).
    Result answered(size_t backend);

  private:
    struct Check {
        int fd = -1;
        uint64_t started_ns = 0;
        Endpoint end{Endpoint::Kind::Check};
    };
    void finish(Check& c);
    int epoll_;
    std::vector<Address> backends_;
    std::vector<Check> checks_;
};

}  // namespace ptv::servers::frontend
