// Hidden case: random clients from the seed. Six connections at once, each
// a random sequence of GETs and HEADs (headers, small bodies, pipelining,
// now and then a last request that closes), cut into random pieces sent
// interleaved with random pauses; every response must be exactly the one
// expected, in order. The dispatcher/worker may give a kept-alive
// connection up after a reply that says so, when others wait for a worker
// (the kit's session does); the finite-state machine has no reason to.
#include <string>

#include "harness/cases.hpp"
#include "harness/server_under_test.hpp"
#include "ptv/servers/conformance/checks.hpp"

using namespace ptv::servers::conformance;
using namespace servers_lab::harness;

SERVERS_LAB_CASE("random-splits", random_splits_case) {
    constexpr int kRounds = 3;
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    for (int i = 0; i < kRounds && report.ok(); ++i)
        check_random_splits(server.port(), ctx.seed() * kRounds + uint64_t(i), prefix == "dw",
                            report);
    ctx.input(std::to_string(kRounds) + " rounds of 6 random clients from seed " +
              std::to_string(ctx.seed()));
    server.stop();
    require(report);
}
