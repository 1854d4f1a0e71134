// test_servers: sim/servers on real sockets (the shared conformance and
// robustness suite, the services, the load generator, the CLI).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
