// What a server architecture is: something that serves the listening
// socket it is given until told to stop (chapter 3.3). The seven of the
// lecture (architectures.hpp) derive from `Server`; the registry
// (server_registry.hpp) finds them by their `--arch` name.
#pragma once

#include <chrono>

#include "ptv/servers/arch/request_log.hpp"
#include "ptv/servers/arch/stop.hpp"
#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/service.hpp"

namespace ptv::servers::arch {

// What every architecture is given.
struct ServerEnv {
    int listen_fd;  // non-blocking, listening
    StopSignal& stop;
    http::Service& service;
    http::SimulatedDisk& disk;
    SharedCounters& counters;  // shared with forked children
    RequestLog* log;           // null: not tracing
    std::chrono::milliseconds timeout;
    int workers;
};

class Server {
  public:
    explicit Server(ServerEnv& env) : env_(env) {}
    virtual ~Server() = default;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Serves env.listen_fd until env.stop, and returns only once every
    // thread, fiber and child process it started is gone.
    virtual void serve() = 0;

  protected:
    ServerEnv& env_;
};

}  // namespace ptv::servers::arch
