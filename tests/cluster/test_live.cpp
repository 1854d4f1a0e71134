// A running VM moved between two hosts of a cluster by live migration:
// `ptv cluster rebalance` asks the destination's service to receive it and
// the source's to migrate it, and the guest goes on at the destination from
// where it was (strong mobility), not from a fresh boot.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "../migration_live/background.hpp"
#include "cluster_fixture.hpp"
#include "ptv/vmms/client.hpp"

using namespace ptv::test;

namespace {

// The VM's console backlog on a host, once it holds `text` (or after 10 s).
std::string console_with(const std::string& socket, const std::string& vm,
                         const std::string& text) {
    std::string backlog;
    for (int i = 0; i < 500; ++i) {
        ptv::vmms::Client c(socket);
        backlog =
            c.request({{"op", "console"}, {"name", vm}, {"follow", false}}).value("backlog", "");
        if (backlog.find(text) != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return backlog;
}

// VM v, a running `counter` placed on host2, and host1's service
// receiving it on port 7400: where a migration from host2 to host1 starts.
struct Receiving {
    int pid;              // v's worker on host2
    std::string address;  // host1's
};
Receiving v_on_host2_and_host1_receiving(ClusterFixture& c) {
    const Completed p =
        c.cluster({"place", "v", "--guest", "counter", "--memory-mib", "32", "--host", "host2"});
    REQUIRE_MESSAGE(p.status == 0, p.err);
    const auto v = c.host(1)["vms"][0];
    REQUIRE(v["state"] == "running");
    const std::string host2 = c.state + "/host2/vmms.sock";
    REQUIRE(console_with(host2, "v", "counter 2\n").find("counter 2\n") != std::string::npos);
    const std::string address = c.host(0)["address"];
    ptv::vmms::Client dest(c.state + "/host1/vmms.sock");
    const auto r = dest.request({{"op", "receive"},
                                 {"name", "v"},
                                 {"guest", guest("counter")},
                                 {"memory_mib", 32},
                                 {"address", address},
                                 {"port", 7400}});
    REQUIRE_MESSAGE(r["ok"] == true, r.dump());
    return {v["pid"].get<int>(), address};
}

// A host dies: SIGKILL to every process in its namespace. How many there were.
int kill_host(const ClusterFixture& c, int index) {
    std::istringstream pids(ip_output({"netns", "pids", c.netns[size_t(index)]}));
    int killed = 0;
    for (pid_t q; pids >> q;) killed += ::kill(q, SIGKILL) == 0;
    return killed;
}

// After a migration to host1 that failed because host1 died: the migrate
// answer says so, host1 is unreachable, and VM v runs on at host2 in the
// same worker `pid`, still counting (the line after the last whole one it
// had printed comes). Then the cluster goes down, leaving nothing.
void check_runs_on_at_source(ClusterFixture& c, const nlohmann::json& m, int pid) {
    CHECK(m["ok"] == false);
    CHECK(m["status"] == 1);
    CHECK(m["error"].get<std::string>().find("migration failed") != std::string::npos);
    const auto s = c.status();
    CHECK(s["hosts"][0]["reachable"] == false);
    const auto after = s["hosts"][1]["vms"][0];
    CHECK(after["name"] == "v");
    CHECK(after["state"] == "running");
    CHECK(after["pid"] == pid);
    const std::string host2 = c.state + "/host2/vmms.sock";
    ptv::vmms::Client watch(host2);
    std::string backlog =
        watch.request({{"op", "console"}, {"name", "v"}, {"follow", false}}).value("backlog", "");
    backlog = backlog.substr(0, backlog.rfind('\n'));
    const auto last = backlog.rfind("counter ");
    REQUIRE(last != std::string::npos);
    const std::string next =
        "counter " + std::to_string(std::stol(backlog.substr(last + 8)) + 1) + "\n";
    CHECK(console_with(host2, "v", next).find(next) != std::string::npos);
    c.down_and_check();
}

}  // namespace

TEST_CASE("consolidate moves a running VM by live migration and it runs on at the other host") {
    ClusterFixture c(2, 256);
    auto place = [&](const std::string& vm, const std::string& policy) {
        return c.cluster({"place", vm, "--guest", "counter", "--memory-mib", "32", "--load", "1",
                          "--policy", policy});
    };
    const Completed p1 = place("v1", "first-fit");  // host1
    REQUIRE_MESSAGE(p1.status == 0, p1.err);
    const Completed p2 = place("v2", "worst-fit");  // host2: 256 MiB free against 224
    REQUIRE_MESSAGE(p2.status == 0, p2.err);
    REQUIRE(c.layout() == "v1 | v2");
    for (int h = 0; h < 2; ++h) {
        const auto vm = c.host(h)["vms"][0];
        CHECK(vm["state"] == "running");
        CHECK(vm["pid"].get<int>() > 0);
    }
    const std::string host1 = c.state + "/host1/vmms.sock", host2 = c.state + "/host2/vmms.sock";
    REQUIRE(console_with(host2, "v2", "counter 2\n").find("counter 2\n") != std::string::npos);

    // By hand: both hosts use 32 MiB; the tie goes to the higher index, so
    // host2 is emptied first and v2 moves onto host1.
    const Completed r = c.cluster({"rebalance", "--policy", "consolidate"}, 120);
    REQUIRE_MESSAGE(r.status == 0, r.err << r.out);
    CHECK(r.out.find("consolidate plan: 1 migration(s)") != std::string::npos);
    CHECK(std::regex_search(r.out,
                            std::regex(R"(v2 +host2 +host1 +32 +live +[0-9]+\.[0-9] +moved)")));
    CHECK(r.out.find("hosts freed: host2") != std::string::npos);
    CHECK(c.layout() == "v1 v2 | -");
    const auto moved = c.host(0)["vms"][1];
    CHECK(moved["name"] == "v2");
    CHECK(moved["state"] == "running");
    CHECK(moved["pid"].get<int>() > 0);
    CHECK(moved["load"] == doctest::Approx(1.0));
    // It went on counting where it was: counter lines, and no banner of a
    // fresh boot.
    const std::string after = console_with(host1, "v2", "counter ");
    CHECK(after.find("counter ") != std::string::npos);
    CHECK(after.find("working set") == std::string::npos);
    c.down_and_check();
}

TEST_CASE("the destination host killed after it agreed to receive: the VM runs on at the source") {
    ClusterFixture c(2, 256);
    const Receiving r = v_on_host2_and_host1_receiving(c);
    const std::string address = r.address;
    const int pid = r.pid;
    // host1 dies with everything in it.
    REQUIRE(kill_host(c, 0) >= 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    // The source's service is told to migrate there: the stream finds no
    // one, the migration fails before any switch-over, and v goes on at
    // host2 in the same worker.
    ptv::vmms::Client source(c.state + "/host2/vmms.sock");
    const auto m = source.request({{"op", "migrate"},
                                   {"name", "v"},
                                   {"to", address + ":7400"},
                                   {"mode", "precopy"},
                                   {"timeout_s", 2.0}});
    check_runs_on_at_source(c, m, pid);
}

TEST_CASE("the destination host killed in the middle of the stream: the VM runs on at the source") {
    ClusterFixture c(2, 256);
    const Receiving r = v_on_host2_and_host1_receiving(c);
    const std::string address = r.address;
    const int pid = r.pid;
    // The stream goes through a relay on the bridge, slowed to 1 MB/s:
    // round 1 (the counter's 1 MiB working set and its code) takes about a
    // second, time to kill host1 while its pages are still arriving.
    const std::string bridge = address.substr(0, address.rfind('.')) + ".254";
    Proxy relay(7400, ~0ull, 1e6, true, bridge, address);
    nlohmann::json m;
    std::thread migrate([&] {
        ptv::vmms::Client source(c.state + "/host2/vmms.sock");
        m = source.request({{"op", "migrate"},
                            {"name", "v"},
                            {"to", bridge + ":" + std::to_string(relay.port())},
                            {"mode", "precopy"},
                            {"timeout_s", 2.0}});
    });
    for (int i = 0; i < 1000 && relay.forwarded() < 128 * 1024; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Mid-stream: pages have crossed, and host1 holds its service and the
    // worker that is taking them in. Everything in it dies.
    CHECK(relay.forwarded() >= 128 * 1024);
    CHECK(kill_host(c, 0) >= 2);
    migrate.join();

    check_runs_on_at_source(c, m, pid);
}
