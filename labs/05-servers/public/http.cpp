// Public cases: HTTP as the kit's servers speak it (sim/servers/README.md,
// "HTTP, exactly"), checked with the conformance library every built-in
// architecture passes too. The HTTP itself is the kit's; what these cases
// test is that your server runs it right: every byte read reaches the
// parser, replies go out whole, connections are kept or closed as asked.
#include "harness/cases.hpp"
#include "harness/server_under_test.hpp"
#include "ptv/servers/conformance/checks.hpp"

using namespace ptv::servers::conformance;
using namespace servers_lab::harness;

SERVERS_LAB_CASE("conformance", conformance_case) {
    // GET and HEAD, names and statuses, keep-alive and pipelining, a 4 MiB
    // file, and clients that leave in the middle of a reply.
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    check_get_and_head(server.port(), report);
    check_names(server.port(), report);
    check_keep_alive(server.port(), report);
    check_big_file(server.port(), report);
    check_disconnect_mid_reply(server.port(), report);
    server.stop();
    require(report);
}

SERVERS_LAB_CASE("byte-splits", byte_splits_case) {
    // A request cut at every byte (and a pipelined pair cut at every byte),
    // the two pieces sent 3 ms apart on one kept-alive connection.
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    check_byte_splits(server.port(), report);
    server.stop();
    require(report);
}

SERVERS_LAB_CASE("malformed", malformed_case) {
    // 400, 431, 501, 505 and 413, each with Connection: close and closed.
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    check_malformed(server.port(), report);
    server.stop();
    require(report);
}

SERVERS_LAB_CASE("traversal", traversal_case) {
    // Dot-dot, plain and encoded, and links out of the root: refused.
    ServedTree tree;
    ServerUnderTest server(server_name(prefix), tree, {});
    Report report;
    check_traversal(server.port(), report);
    server.stop();
    require(report);
}
