// `ptv migrate bindings|sim` run as a user or a grader would.
#include <doctest/doctest.h>

#include <algorithm>

#include "process.hpp"
#include "ptv/common/trace.hpp"

using ptv::test::bin;
using ptv::test::run;

namespace {

ptv::test::Completed ptv_migrate(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ptv"), "migrate"});
    return run(args);
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ptv migrate sim: questions, then answers with -c") {
    auto q = ptv_migrate({"sim", "--dirty", "wws:100:2000"});
    REQUIRE(q.status == 0);
    CHECK(has(q.out, "A VM of 1000 pages"));
    CHECK(has(q.out, "Questions:"));
    CHECK(has(q.out, "Run again with -c"));
    CHECK_FALSE(has(q.out, "Answers:"));
    auto a = ptv_migrate({"sim", "--dirty", "wws:100:2000", "-c"});
    REQUIRE(a.status == 0);
    CHECK(has(a.out, "Answers:"));
    CHECK(has(a.out, "stop: 3000 pages sent >= 3x memory"));
    CHECK(has(a.out, "Downtime: 101.000 ms"));
    CHECK(has(a.out, "Total time: 3101.000 ms"));
    CHECK(has(a.out, "Pages sent: 3100 = 3.100x memory"));
    CHECK(has(a.out, "Observation: from round 1 on the dirty set stopped shrinking"));
    // Bandwidth with a unit: 4000KiB/s = 1000 pages/s, the same answers.
    auto u = ptv_migrate({"sim", "--dirty", "wws:100:2000", "--bandwidth", "4000KiB/s", "-c"});
    CHECK(u.out == a.out);
}

TEST_CASE("ptv migrate sim: post-copy, JSON, seeds") {
    auto p = ptv_migrate({"sim", "--policy", "postcopy", "--dirty", "sweep:2000", "-c"});
    REQUIRE(p.status == 0);
    CHECK(has(p.out,
              "Degraded window: 1000.000 ms (1000 pages pulled after the resume); remote "
              "faults: 1000; the guest stalled 500.000 ms"));
    auto j = ptv_migrate({"sim", "--policy", "postcopy", "--dirty", "sweep:2000", "-c", "--json"});
    REQUIRE(j.status == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["answers"]["postcopy"]["remote_faults"] == 1000);
    CHECK(doc["answers"]["downtime_ms"] == 1.0);
    auto nj = nlohmann::json::parse(ptv_migrate({"sim", "--json"}).out);
    CHECK_FALSE(nj.contains("answers"));
    // A seed makes the problem; the same seed, the same output; options override.
    auto s1 = ptv_migrate({"sim", "-s", "11", "-c"});
    auto s2 = ptv_migrate({"sim", "-s", "11", "-c"});
    REQUIRE(s1.status == 0);
    CHECK(s1.out == s2.out);
    CHECK(has(s1.out, "Problem of seed 11."));
    bool differ = false;
    for (const char* s : {"12", "13", "14"}) differ |= ptv_migrate({"sim", "-s", s}).out != s1.out;
    CHECK(differ);
    auto o =
        nlohmann::json::parse(ptv_migrate({"sim", "-s", "11", "--memory", "777", "--json"}).out);
    CHECK(o["config"]["memory_pages"] == 777);
}

TEST_CASE("ptv migrate sim: the trace has what the migration view reads") {
    ptv::test::TempDir dir;
    auto r = ptv_migrate({"sim", "--dirty", "wws:200:500", "--trace", dir.file("pre.json")});
    REQUIRE(r.status == 0);
    auto t = ptv::trace::load(dir.file("pre.json"));
    CHECK(t.error.empty());
    int rounds = 0, stops = 0;
    for (const auto& ev : t.events) {
        if (ev.value("cat", "") != "migration") continue;
        if (ev["name"] == "round") {
            ++rounds;
            CHECK(ev["ph"] == "X");
            CHECK(ev["args"]["round"] == rounds);
            CHECK(ev["args"].contains("pages_sent"));
            CHECK(ev["args"].contains("pages_dirtied"));
        }
        if (ev["name"] == "stop-and-copy") {
            ++stops;
            CHECK(ev["dur"] == 26000.0);  // 25 pages + 1 state page, in us
            CHECK(ev["args"]["pages_sent"] == 25);
        }
    }
    CHECK(rounds == 4);
    CHECK(stops == 1);
    CHECK(t.metadata["simulation"]["answers"]["total_ms"] == 1376.0);

    r = ptv_migrate(
        {"sim", "--policy", "postcopy", "--dirty", "sweep:2000", "--trace", dir.file("post.json")});
    REQUIRE(r.status == 0);
    t = ptv::trace::load(dir.file("post.json"));
    int faults = 0, degraded = 0, downtime = 0;
    for (const auto& ev : t.events) {
        if (ev.value("name", "") == "remote-fault") ++faults;
        if (ev.value("name", "") == "degraded") ++degraded;
        if (ev.value("name", "") == "downtime") ++downtime;
    }
    CHECK(faults == 1000);
    CHECK(degraded == 1);
    CHECK(downtime == 1);
}

TEST_CASE("ptv migrate bindings: questions, answers, table, JSON") {
    auto q = ptv_migrate({"bindings", "-s", "4"});
    REQUIRE(q.status == 0);
    CHECK(has(q.out, " 1. "));
    CHECK(has(q.out, " 5. "));
    CHECK_FALSE(has(q.out, "Answer:"));
    auto a = ptv_migrate({"bindings", "-s", "4", "-c"});
    CHECK(std::count(a.out.begin(), a.out.end(), 'A') > 0);
    CHECK(has(a.out, "Answer:"));
    CHECK(a.out == ptv_migrate({"bindings", "-s", "4", "-c"}).out);
    CHECK(a.out != ptv_migrate({"bindings", "-s", "5", "-c"}).out);
    auto n = ptv_migrate({"bindings", "-n", "12", "--kind", "binding", "-c"});
    CHECK(std::count(n.out.begin(), n.out.end(), '\n') > 12 * 4);
    auto t = ptv_migrate({"bindings", "--table"});
    CHECK(has(t.out, "by identifier"));
    CHECK(has(t.out, "MV (or GR)"));
    auto j = nlohmann::json::parse(ptv_migrate({"bindings", "-s", "4", "-c", "--json"}).out);
    CHECK(j["exercises"].size() == 5);
}

TEST_CASE("ptv migrate: bad input is one line and exit 2") {
    const std::vector<std::vector<std::string>> bad = {
        {"sim", "--dirty", "wws:10"},
        {"sim", "--dirty", "bursty:5"},
        {"sim", "--dirty", "phases:wws:10:10"},
        {"sim", "--dirty", "wws:2000:10"},
        {"sim", "--policy", "precopyy"},
        {"sim", "--stop", "vmware"},
        {"sim", "--downtime-limit", "50"},
        {"sim", "--memory", "0"},
        {"sim", "--memory", "x"},
        {"sim", "--bandwidth", "fast"},
        {"sim", "--bandwidth", "0"},
        {"sim", "-s", "-1"},
        {"sim", "--trace", "/nonexistent-dir/t.json"},
        {"bindings", "-n", "0"},
        {"bindings", "--kind", "weird"},
        {"bindings", "-s", "x"},
        {"teleport"},
    };
    for (const auto& args : bad) {
        auto r = ptv_migrate(args);
        INFO(args.back() << ": " << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
}
