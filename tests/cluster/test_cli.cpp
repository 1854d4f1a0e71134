// `ptv cluster sim` run as a user or a grader would.
#include <doctest/doctest.h>

#include <set>

#include "process.hpp"
#include "ptv/common/trace.hpp"

using ptv::test::bin;
using ptv::test::run;

namespace {

ptv::test::Completed ptv_cluster(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ptv"), "cluster"});
    return run(args);
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ptv cluster sim: questions, then answers with -c") {
    const std::vector<std::string> args = {"sim",       "-s",          "1",          "--hosts",
                                           "2",         "--vms",       "4",          "--place",
                                           "worst-fit", "--rebalance", "consolidate"};
    auto q = ptv_cluster(args);
    REQUIRE(q.status == 0);
    CHECK(has(q.out, "Problem of seed 1."));
    CHECK(has(q.out, "Questions:"));
    CHECK(has(q.out, "Run again with -c"));
    CHECK_FALSE(has(q.out, "Answers:"));
    auto with_c = args;
    with_c.push_back("-c");
    auto a = ptv_cluster(with_c);
    REQUIRE(a.status == 0);
    CHECK(has(a.out, "Answers:"));
    // The case worked by hand in test_sim.cpp.
    CHECK(has(a.out,
              "1  vm1  h1    h2          2048  wws:32768:12500       4      585728  "
              "2399141888        163.880  23429.160"));
    CHECK(has(a.out,
              "2  vm3  h1    h2          1024  wws:16384:7500        2      283443  "
              "1160982528        196.640  11337.760"));
    CHECK(has(a.out, "Hosts powered off: h1."));
    CHECK(has(a.out, "Bytes moved: 3560124416 in all"));
    CHECK(ptv_cluster(with_c).out == a.out);  // deterministic
}

TEST_CASE("ptv cluster sim: JSON for graders, fits nowhere, no rebalancing") {
    auto j = ptv_cluster({"sim", "-s", "4", "--hosts", "1", "--vms", "4", "-c", "--json"});
    REQUIRE(j.status == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["seed"] == 4);
    CHECK(doc["config"]["place"] == "first-fit");
    CHECK(doc["answers"]["fits_nowhere"] == nlohmann::json::array({"vm3", "vm4"}));
    CHECK(doc["answers"]["placements"][2]["host"].is_null());
    CHECK(doc["answers"]["placements"][0]["host"] == "h1");
    auto q = nlohmann::json::parse(ptv_cluster({"sim", "-s", "4", "--json"}).out);
    CHECK_FALSE(q.contains("answers"));
    auto none = ptv_cluster(
        {"sim", "-s", "1", "--place", "worst-fit", "--rebalance", "none", "-c", "--json"});
    REQUIRE(none.status == 0);
    auto n = nlohmann::json::parse(none.out);
    CHECK(n["config"]["rebalance"] == "none");
    CHECK(n["answers"]["migrations"].empty());
    CHECK(n["answers"]["powered_off"].empty());
    // Different seeds, different problems.
    auto s1 = ptv_cluster({"sim", "-s", "1"}).out;
    bool differ = false;
    for (const char* s : {"2", "3", "4"}) differ |= ptv_cluster({"sim", "-s", s}).out != s1;
    CHECK(differ);
}

TEST_CASE("ptv cluster sim: the trace has a cluster category") {
    ptv::test::TempDir dir;
    auto r = ptv_cluster({"sim", "-s", "1", "--hosts", "2", "--vms", "4", "--place", "worst-fit",
                          "--trace", dir.file("c.json")});
    REQUIRE(r.status == 0);
    auto t = ptv::trace::load(dir.file("c.json"));
    CHECK(t.error.empty());
    int hosts = 0, places = 0, migrates = 0, flow_s = 0, flow_f = 0, off = 0;
    std::set<std::string> spans;
    for (const auto& ev : t.events) {
        if (ev.value("cat", "") != "cluster") continue;
        const std::string name = ev["name"];
        if (name == "host") ++hosts;
        if (name == "place") ++places;
        if (name == "migrate") {
            ++migrates;
            CHECK(ev["ph"] == "X");
            CHECK(ev["pid"] == 1);  // from h1
            CHECK(ev["args"]["to"] == "h2");
        }
        if (name == "migration" && ev["ph"] == "s") {
            ++flow_s;
            CHECK(ev["pid"] == 1);
        }
        if (name == "migration" && ev["ph"] == "f") {
            ++flow_f;
            CHECK(ev["pid"] == 2);
        }
        if (name == "power-off") {
            ++off;
            CHECK(ev["pid"] == 1);
        }
        if (ev["ph"] == "X" && name.rfind("vm", 0) == 0)
            spans.insert(name + "@" + std::string(ev["args"]["host"]));
    }
    CHECK(hosts == 2);
    CHECK(places == 4);
    CHECK(migrates == 2);
    CHECK(flow_s == 2);
    CHECK(flow_f == 2);
    CHECK(off == 1);
    // vm1 and vm3 ran on h1, then on h2.
    CHECK(spans ==
          std::set<std::string>{"vm1@h1", "vm1@h2", "vm2@h2", "vm3@h1", "vm3@h2", "vm4@h2"});
    CHECK(t.metadata["cluster"]["answers"]["bytes_total"] == 3560124416ull);
}

TEST_CASE("ptv cluster sim: bad input is one line and status 2") {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"sim", "--hosts", "0"},
                                               {"sim", "--hosts", "17"},
                                               {"sim", "--vms", "0"},
                                               {"sim", "--vms", "201"},
                                               {"sim", "--place", "random"},
                                               {"sim", "--rebalance", "spread"},
                                               {"sim", "-s", "-1"},
                                               {"sim", "-s", "x"},
                                               {"sim", "--trace", "/nonexistent-dir/t.json"}}) {
        auto r = ptv_cluster(args);
        CAPTURE(args[1]);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    auto r = ptv_cluster({"sim", "--place", "random"});
    CHECK(has(r.err, "first-fit, best-fit, worst-fit or balance"));
}
