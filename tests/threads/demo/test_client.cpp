// A multithreaded client hides latency (ch. 3.2): threads and fibers both
// overlap the server's latency. Generous margin: 2x with K = 8 (ideal 8x).
#include <doctest/doctest.h>

#include <dirent.h>

#include "ptv/common/error.hpp"
#include "ptv/threads/demo/client.hpp"

using namespace ptv::threads::demo;

namespace {

int open_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) ++n;
        closedir(d);
    }
    return n;
}

}  // namespace

TEST_CASE("threads and fibers both hide the latency: at least 2x faster than sequential") {
    ClientOptions o;
    o.documents = 8;
    o.latency_ms = 50;
    const int fds_before = open_fds();
    ClientResult r = run_client_demo(o);
    REQUIRE(r.runs.size() == 3);
    INFO("sequential " << r.runs[0].total_ms << " ms, threads " << r.runs[1].total_ms
                       << " ms, fibers " << r.runs[2].total_ms << " ms");
    for (const auto& run : r.runs) {
        REQUIRE(run.fetches.size() == 8);
        for (const auto& f : run.fetches) CHECK(f.bytes == size_t(o.document_bytes));
    }
    CHECK(r.runs[0].total_ms >= 8 * 50 * 0.95);  // sequential pays every latency
    CHECK(r.speedup_threads >= 2.0);
    CHECK(r.speedup_fibers >= 2.0);
    CHECK(r.runs[2].kernel_threads == 1);
    CHECK(r.served.size() == 24);
    // The server and every socket are closed at the end.
    CHECK(open_fds() == fds_before);
}

TEST_CASE("bad client options are usage errors") {
    ClientOptions o;
    o.documents = 0;
    CHECK_THROWS_AS(validate(o), ptv::UsageError);
    o = {};
    o.latency_ms = -1;
    CHECK_THROWS_AS(validate(o), ptv::UsageError);
    o = {};
    o.documents = 100000;
    CHECK_THROWS_AS(validate(o), ptv::UsageError);
}
