// The front-end switch of a server cluster (Tanenbaum & van Steen,
// Fig. 3-12): clients connect to one address; the switch hands each TCP
// connection to one server of the tier, chosen by a policy (balancer.hpp),
// and relays its bytes both ways until both sides have closed. A
// transport-layer switch: it never looks inside the stream, so it serves
// any protocol, and a client's connection stays with one server.
//
// Health: a server whose connect fails (refused, unreachable, no answer
// within the connect timeout) is marked down at once and the client's
// connection is retried on the next one, so a client sees a failure only
// when no server is up. An active check (a TCP connect every
// check_interval) marks servers down, and up again when they answer.
//
// One thread, one epoll loop, non-blocking sockets; run() returns once every
// socket it opened is closed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ptv/servers/switch/address.hpp"
#include "ptv/servers/switch/balancer.hpp"
#include "ptv/servers/switch/stats.hpp"

namespace ptv::servers::frontend {

struct SwitchOptions {
    Address listen{0x7f000001, 0};  // 127.0.0.1, any free port
    std::vector<Address> backends;
    Policy policy = Policy::RoundRobin;
    std::chrono::milliseconds check_interval{200};  // the active health check's period
    std::chrono::milliseconds connect_timeout{1000};
};

// A back end taken out of rotation or put back.
struct HealthChange {
    size_t backend = 0;  // its index in SwitchOptions::backends
    Address address;
    bool up = false;
    std::string reason;  // why it went down ("connection refused"); "" when up
};

class FrontEndSwitch {
  public:
    // Opens the listening socket (so port() is known, and a port in use is
    // a ptv::UsageError here, before anything runs). `balancer` replaces the
    // one options.policy names.
    explicit FrontEndSwitch(SwitchOptions options, std::unique_ptr<Balancer> balancer = nullptr);
    ~FrontEndSwitch();
    FrontEndSwitch(const FrontEndSwitch&) = delete;
    FrontEndSwitch& operator=(const FrontEndSwitch&) = delete;

    int port() const;  // the port it listens on
    std::string_view policy_name() const;

    // Called on the loop's thread; set them before run().
    void on_health_change(std::function<void(const HealthChange&)> f);
    void on_report(std::chrono::milliseconds every, std::function<void(const SwitchStats&)> f);

    // The event loop, on the calling thread, until stop(). Every relayed
    // connection still open is then closed. Call it once.
    void run();
    // From any thread, and async-signal-safe (a write to an eventfd).
    void stop();
    // SIGINT, SIGTERM and SIGHUP call stop() (and SIGPIPE is ignored) until
    // the switch is destroyed.
    void stop_on_signals();

    // A snapshot of the counters, from any thread.
    SwitchStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ptv::servers::frontend
