// The harness side of lab 05: the student's two servers added to the kit's
// architecture registry beside the seven built-in ones, and one server run
// in this process on a real socket (127.0.0.1, port 0) for a case to talk
// to, stop, and inspect.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "ptv/servers/arch/server_registry.hpp"
#include "ptv/servers/conformance/report.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace servers_lab::harness {

// The kit's architectures plus "lab-dispatcher-worker" and "lab-fsm", the
// student's DispatcherWorker and FiniteStateMachine.
const ptv::servers::arch::ServerRegistry& registry();

// "dw" -> "lab-dispatcher-worker", "fsm" -> "lab-fsm" (the cases' prefixes).
std::string server_name(const std::string& prefix);

struct ServerOptions {
    std::chrono::milliseconds disk_latency{0};
    size_t cache_files = 64;
    std::chrono::milliseconds timeout{10'000};
    int workers = 16;  // worker threads (dispatcher/worker) or disk helpers (fsm)
};

// What the process holds: its threads (/proc/self/task) and its open
// descriptors (/proc/self/fd).
struct Snapshot {
    size_t threads = 0;
    std::set<int> fds;
    static Snapshot take();
};

// One server, serving a ServedTree in a thread of its own. The constructor
// waits for it to answer a first GET (or rethrows what serve() threw at
// once: a starter's NotImplemented); `before`, if given, is taken after
// everything the harness gives the server exists and before its thread
// starts.
class ServerUnderTest {
  public:
    ServerUnderTest(const std::string& name, const ptv::servers::conformance::ServedTree& tree,
                    const ServerOptions& options, Snapshot* before = nullptr);
    // Stops it if a case did not (a failing case ends here).
    ~ServerUnderTest();
    ServerUnderTest(const ServerUnderTest&) = delete;
    ServerUnderTest& operator=(const ServerUnderTest&) = delete;

    int port() const { return port_; }
    const std::string& name() const { return name_; }

    // Requests the stop and waits up to `grace` for serve() to return;
    // fails the case (ptv::lab::Failure) if it does not, if it returned
    // before the stop, or if it threw. Returns how long serve() took to
    // return after the request, in seconds.
    double stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  private:
    struct State;  // what the server thread shares with the case
    std::string name_;
    std::shared_ptr<State> state_;
    std::thread thread_;
    int port_ = -1;
    bool stopped_ = false;
};

// Fails the case unless the process may open `needed` descriptors
// (RLIMIT_NOFILE raised to its hard limit if need be).
void require_descriptors(size_t needed);

// Fails the case with the report's failures, unless there are none.
void require(const ptv::servers::conformance::Report& report);

}  // namespace servers_lab::harness
