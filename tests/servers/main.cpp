// The doctest main of test_servers (sim/servers on real sockets) and
// test_servers_sim (the model's exact answers).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
