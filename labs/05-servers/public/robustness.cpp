// Public cases: clients that hold connections without working. A server
// must neither let them hold it (slowloris) nor drop the idle keep-alive
// connections a browser keeps (C10K's problem, here with 1,000).
#include "harness/cases.hpp"
#include "harness/server_under_test.hpp"
#include "ptv/servers/conformance/checks.hpp"

using namespace std::chrono_literals;
using namespace ptv::servers::conformance;
using namespace servers_lab::harness;

SERVERS_LAB_CASE("slowloris", slowloris_case) {
    // With a 0.3 s timeout: half a request gets 408, a silent connection
    // is closed, a byte-a-time head is cut off; then 8 clients trickle
    // their heads while 10 others are each served within 1 s.
    ServedTree tree;
    ServerOptions o;
    o.timeout = 300ms;
    ServerUnderTest server(server_name(prefix), tree, o);
    Report report;
    check_slow_clients(server.port(), report);
    check_slowloris_does_not_block(server.port(), 8, 10, 1.0, report);
    server.stop();
    require(report);
}

SERVERS_LAB_CASE("idle-keepalive", idle_keepalive_case) {
    // 1,000 clients each make one request and then idle on their kept-alive
    // connection; 20 fresh clients are each served within 2 s meanwhile.
    // The finite-state machine holds all 1,000 and answers a second request
    // on each; the worker pool may give idle ones up (closing them) to serve
    // the fresh clients, but must not let them hold its K workers.
    constexpr int kIdle = 1000;
    require_descriptors(2 * kIdle + 256);  // both ends of every connection are in this process
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    check_idle_keep_alive(server.port(), kIdle, 20, 2.0, prefix == "fsm", report);
    ctx.measure("idle_connections", kIdle);
    server.stop();
    require(report);
}
