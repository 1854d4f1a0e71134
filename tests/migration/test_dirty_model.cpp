// The dirty-page models: the syntax, and the exact write streams.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ptv/common/error.hpp"
#include "ptv/migration/sim/dirty_model.hpp"
#include "ptv/migration/sim/problem.hpp"

using namespace ptv::migration::sim;

namespace {

// The first n writes: (time in ms, page).
std::vector<std::pair<double, uint64_t>> first(const std::string& spec, size_t n,
                                               uint64_t memory = 1000, uint64_t bw = 1000,
                                               uint64_t seed = 0) {
    auto m = DirtyModel::parse(spec);
    WriteStream s(m, memory, bw, seed);
    std::vector<std::pair<double, uint64_t>> out;
    for (size_t i = 0; i < n && s.peek().at != kNever; ++i) {
        auto w = s.pop();
        out.push_back({milliseconds(w.at, bw), w.page});
    }
    return out;
}

}  // namespace

TEST_CASE("dirty: writes are evenly spaced, wws is round-robin over its pages") {
    // 500 pages/s: write j at j x 2 ms.
    auto w = first("wws:3:500", 5);
    REQUIRE(w.size() == 5);
    CHECK(w[0] == std::pair<double, uint64_t>{2, 0});
    CHECK(w[1] == std::pair<double, uint64_t>{4, 1});
    CHECK(w[2] == std::pair<double, uint64_t>{6, 2});
    CHECK(w[3] == std::pair<double, uint64_t>{8, 0});
    CHECK(first("wws:3:500:990", 4)[3].second == 990);
    CHECK(first("wws:3:500:990", 3)[2].second == 992);
    // A sweep wraps at the end of memory.
    auto s = first("sweep:1000", 12, 10);
    CHECK(s[9].second == 9);
    CHECK(s[10].second == 0);
    CHECK(s[10].first == 11);
    // 3 pages/s at 1000 pages/s: ceil(j x 10^9 / 3) u, i.e. 333.334, 666.667, 1000 ms.
    auto u = first("uniform:3", 3);
    CHECK(u[2].first == 1000);
    CHECK(first("idle", 5).empty());
    CHECK(first("uniform:0", 5).empty());
}

TEST_CASE("dirty: uniform is seeded") {
    CHECK(first("uniform:100", 50, 1000, 1000, 1) == first("uniform:100", 50, 1000, 1000, 1));
    CHECK(first("uniform:100", 50, 1000, 1000, 1) != first("uniform:100", 50, 1000, 1000, 2));
    for (auto [t, page] : first("uniform:100", 500, 37)) CHECK(page < 37);
}

TEST_CASE("dirty: phases run in turn and repeat") {
    // 1000 pages/s for 3 ms (writes at 1, 2, 3 ms on pages 0, 1, 2 of the
    // sweep), then idle for 2 ms, then again from 5 ms: 6, 7, 8 ms.
    auto w = first("phases:sweep:1000@3ms,idle@2ms", 6);
    REQUIRE(w.size() == 6);
    CHECK(w[2] == std::pair<double, uint64_t>{3, 2});
    CHECK(w[3] == std::pair<double, uint64_t>{6, 0});
    CHECK(w[5] == std::pair<double, uint64_t>{8, 2});
    auto m = DirtyModel::parse("phases:wws:256:5000@2s,uniform:100@3s");
    REQUIRE(m.phases.size() == 2);
    CHECK(m.phases[0].duration_us == 2'000'000);
    CHECK(m.phases[1].rate == 100);
    CHECK(DirtyModel::parse("phases:idle@1.5s").phases[0].duration_us == 1'500'000);
    CHECK(first("phases:idle@1s,uniform:0@1s", 3).empty());
}

TEST_CASE("dirty: bad specs are one line each") {
    for (const char* bad :
         {"", "wws", "wws:0:10", "wws:10", "wws:x:10", "uniform:-1", "uniform:1.5", "sweep",
          "sweep:10:3", "random:10", "phases:", "phases:wws:10:10", "phases:idle@2",
          "phases:idle@2h", "phases:idle@0s", "uniform:10@2s", "uniform:10,idle",
          "phases:phases:idle@1s@1s", "uniform:2000000000"}) {
        INFO(bad);
        try {
            DirtyModel::parse(bad);
            FAIL("accepted");
        } catch (const ptv::UsageError& e) {
            const std::string what = e.what();
            CHECK(what.find('\n') == std::string::npos);
            CHECK(what.find("--dirty") == 0);
        }
    }
    CHECK_THROWS_AS(DirtyModel::parse("wws:100:10").check(99), ptv::UsageError);
    CHECK_THROWS_AS(DirtyModel::parse("wws:10:10:991").check(1000), ptv::UsageError);
    CHECK_NOTHROW(DirtyModel::parse("wws:10:10:990").check(1000));
}

TEST_CASE("bandwidth: pages/s and units") {
    CHECK(parse_bandwidth("25000") == 25000);
    CHECK(parse_bandwidth("25000pages/s") == 25000);
    CHECK(parse_bandwidth("1GiB/s") == 262144);
    CHECK(parse_bandwidth("100MB/s") == 24414);  // 10^8 / 4096 = 24414.06
    CHECK(parse_bandwidth("1Gbit") == 30517);    // 1.25 10^8 / 4096 = 30517.58
    CHECK(parse_bandwidth("1Gbit/s") == 30517);
    CHECK(parse_bandwidth("40MiB/s") == 10240);
    for (const char* bad : {"", "x", "0", "1.5", "10furlongs", "100000000", "1B/s", "-5"})
        CHECK_THROWS_AS(parse_bandwidth(bad), ptv::UsageError);
}
