// Lab 05: the two servers the student writes, on the kit's `Server` base
// (sim/servers/arch/include/ptv/servers/arch/server.hpp). The kit provides
// this header and grades every submission with its own copy.
//
// Each class is a server architecture like the kit's seven: constructed
// from the ServerEnv it serves (`env_`: the listening socket, the stop
// signal, the file service, the simulated disk, the counters, the timeout
// and K = env_.workers), with one serve() that serves env_.listen_fd until
// env_.stop is requested and returns only once every thread it started has
// ended and every descriptor it opened is closed. The harness adds both to
// the kit's architecture registry ("lab-dispatcher-worker", "lab-fsm") and
// runs them in-process on 127.0.0.1, port 0.
#pragma once

#include "ptv/servers/arch/server.hpp"

namespace servers_lab {

// Fig. 3-3: the dispatcher thread (the one that calls serve()) accepts
// connections and queues them; a pool of K = env_.workers worker threads
// takes them from the queue and serves each with the kit's blocking-style
// session (serve_connection, session.hpp).
class DispatcherWorker final : public ptv::servers::arch::Server {
  public:
    using Server::Server;
    void serve() override;
};

// The finite-state machine (Flash's AMPED, Pai et al. 1999): one thread,
// epoll, non-blocking sockets, an explicit state per connection; a read
// that misses the disk cache goes to one of K = env_.workers disk helper
// threads (disk_helpers.hpp), so the event loop never blocks.
class FiniteStateMachine final : public ptv::servers::arch::Server {
  public:
    using Server::Server;
    void serve() override;
};

}  // namespace servers_lab
