// The seven server architectures, one `Server` class and one file each
// (src/<name>.cpp), registered by name in builtin_servers()
// (src/server_registry.cpp).
#pragma once

#include <chrono>
#include <vector>

#include "ptv/servers/arch/architecture.hpp"
#include "ptv/servers/arch/server.hpp"

namespace ptv::servers::arch {

// Runs architecture `a` (builtin_servers()) on `env` until it stops.
void serve(Architecture a, ServerEnv& env);

// One thread: accept, serve that connection, accept the next (no
// parallelism, blocking calls).
class IterativeServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// The accepting thread starts a new kernel thread for every connection.
class ThreadPerConnectionServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// Fig. 3-3: the dispatcher thread accepts connections, holds them in a
// readiness loop until they speak, and queues them then; a fixed pool of K
// worker threads takes them from the queue and serves them with blocking
// calls (parallelism, blocking system calls).
class DispatcherWorkerServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// The accepting process fork()s a child for every connection (each child
// has its own copy of everything, the disk cache included).
class ProcessPerConnectionServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// K processes forked in advance, each accepting from the shared listening
// socket into a readiness loop of its own and serving, one at a time, the
// connections that have spoken (Apache's prefork). The parent only
// replaces children that die.
class PreforkServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// One thread, non-blocking sockets, epoll, and an explicit state per
// connection (reading the request -> waiting for the disk -> writing the
// reply); disk reads go to helper threads so that the thread never blocks
// (parallelism, non-blocking system calls; Flash's AMPED).
class FiniteStateMachineServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// A fiber per connection running the same blocking-style code as the
// threaded servers, on Boost.Fiber user-level threads whose scheduler
// waits in epoll when no fiber is ready; disk reads go to helper threads.
class FiberServer final : public Server {
  public:
    using Server::Server;
    void serve() override;
};

// Shared by the accept loops: waits until the listening socket is readable
// (or, after Acceptor::Backoff, for 100 ms); false when the server stops.
bool wait_to_accept(int listen_fd, int stop_fd, bool backoff);

// Waits (up to `grace`) for the child processes in `pids` to exit, then
// kills the rest with SIGKILL and reaps them: nothing is left behind.
void reap_children(std::vector<int>& pids, std::chrono::milliseconds grace);

// In a forked child: die with the parent, so that a parent killed with
// SIGKILL leaves no server processes behind.
void die_with_parent(int parent_pid);

}  // namespace ptv::servers::arch
