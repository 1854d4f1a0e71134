// test_threads_demo: the real demos of sim/threads/demo.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
