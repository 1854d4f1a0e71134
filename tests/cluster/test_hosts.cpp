// `ptv cluster` on hosts that are network namespaces of this machine, each
// with its own management service: bringing them up and down, placing VMs
// by each policy, and rebalancing by moving VMs' records (cold moves: no
// VM runs here, so these tests need no KVM; tests/kvm/test_cluster_live.cpp
// moves running VMs by live migration).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "cluster_fixture.hpp"
#include "ptv/vmms/client.hpp"

using namespace ptv::test;

namespace {

Completed place(ClusterFixture& c, const std::string& vm, const std::string& policy, int mib,
                double load) {
    return c.cluster({"place", vm, "--no-start", "--policy", policy, "--memory-mib",
                      std::to_string(mib), "--load", std::to_string(load)});
}

std::string first_line(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

}  // namespace

TEST_CASE(
    "cluster up gives each host a namespace, an address and a service, and down removes all") {
    ClusterFixture c(3, 256);
    const auto s = c.status();
    REQUIRE(s["hosts"].size() == 3);
    const std::string subnet = s["subnet"];
    for (int k = 0; k < 3; ++k) {
        const auto& h = s["hosts"][k];
        CHECK(h["name"] == "host" + std::to_string(k + 1));
        CHECK(h["address"] == subnet + "." + std::to_string(k + 1));
        CHECK(h["reachable"] == true);
        CHECK(h["memory_mib"] == 256);
        CHECK(h["vms"].empty());
        // The host's own network stack holds its address, and only it does.
        const std::string addrs = ip_output({"-n", h["netns"], "-4", "addr", "show", "eth0"});
        CHECK(addrs.find(h["address"].get<std::string>() + "/24") != std::string::npos);
    }
    // A second `up` on the same state is refused, and changes nothing.
    const Completed again = c.cluster({"up", "--hosts", "2"});
    CHECK(again.status == 2);
    CHECK(first_line(again.err).find("a cluster is already up at") != std::string::npos);
    CHECK(c.status()["hosts"].size() == 3);
    CHECK(c.processes().size() == 3);  // a service per host
    c.down_and_check();
}

TEST_CASE("placement by each policy, worked by hand") {
    ClusterFixture c(3, 256);
    // Equal free memory: worst-fit spreads in host order.
    for (const auto& vm : {"a", "b", "c"}) REQUIRE(place(c, vm, "worst-fit", 64, 0.5).status == 0);
    CHECK(c.layout() == "a | b | c");
    // Best fit: every host would keep 92 MiB free; the tie goes to host1.
    const Completed d = place(c, "d", "best-fit", 100, 1.0);
    REQUIRE(d.status == 0);
    CHECK(d.out.find("d placed on host1") != std::string::npos);
    // First fit: host1 has 92 MiB free, too little for 150; host2 has 192.
    REQUIRE(place(c, "e", "first-fit", 150, 0.25).status == 0);
    CHECK(c.layout() == "a d | b e | c");
    // Balance: CPU loads 1.5/2, 0.75/2 and 0.5/2; with f's 0.5 host3's
    // share is the lowest (0.5).
    REQUIRE(place(c, "f", "balance", 16, 0.5).status == 0);
    CHECK(c.layout() == "a d | b e | c f");
    const auto h1 = c.host(0);
    CHECK(h1["memory_used_mib"] == 164);
    CHECK(h1["load"] == doctest::Approx(1.5));

    // Fits nowhere: one line, status 2, nothing created.
    const Completed big = place(c, "big", "first-fit", 300, 1);
    CHECK(big.status == 2);
    CHECK(first_line(big.err) ==
          "ptv: VM 'big' (300 MiB) fits on no host (free: host1 92 MiB, host2 42 MiB, host3 176 "
          "MiB); free memory or give it less");
    const Completed twice = place(c, "a", "first-fit", 16, 0);
    CHECK(twice.status == 2);
    CHECK(first_line(twice.err) == "ptv: a VM named 'a' is on host1 already; pick another name");
    CHECK(c.layout() == "a d | b e | c f");

    // By hand: a host that is not there, one the VM does not fit on, and
    // one it fits on.
    const Completed nohost = c.cluster({"place", "g", "--no-start", "--host", "host9"});
    CHECK(nohost.status == 2);
    CHECK(nohost.err ==
          "ptv: there is no host 'host9' in the cluster; its hosts are host1, host2, host3\n");
    const Completed full =
        c.cluster({"place", "g", "--no-start", "--host", "host2", "--memory-mib", "64"});
    CHECK(full.status == 2);
    CHECK(first_line(full.err) ==
          "ptv: VM 'g' (64 MiB) does not fit on host2 (42 MiB free); pick another host or let a "
          "--policy choose");
    const Completed hand =
        c.cluster({"place", "g", "--no-start", "--host", "host2", "--memory-mib", "40"});
    CHECK(hand.status == 0);
    CHECK(hand.out.find("g placed on host2") != std::string::npos);
    CHECK(c.layout() == "a d | b e g | c f");
    c.down_and_check();
}

TEST_CASE("consolidate empties the least used host, balance evens the CPU load") {
    TempDir out;
    const std::string trace = out.file("cluster.json");
    ClusterFixture c(3, 256, 2, {"--trace", trace});
    REQUIRE(place(c, "a", "first-fit", 64, 0.5).status == 0);    // host1
    REQUIRE(place(c, "d", "first-fit", 100, 1.0).status == 0);   // host1
    REQUIRE(place(c, "b", "worst-fit", 64, 0.5).status == 0);    // host2
    REQUIRE(place(c, "e", "first-fit", 150, 0.25).status == 0);  // host2 (host1: 92 free)
    REQUIRE(place(c, "c", "worst-fit", 64, 0.5).status == 0);    // host3
    REQUIRE(c.layout() == "a d | b e | c");

    // Consolidate, by hand: host3 is the least used (64 MiB); c fits on
    // host1 (92 free) and not on host2 (42 free), so host3 is emptied.
    // Then host1 has received a VM and host2's e (150) fits nowhere: stop.
    const Completed dry = c.cluster({"rebalance", "--policy", "consolidate", "--dry-run"});
    REQUIRE_MESSAGE(dry.status == 0, dry.err);
    CHECK(dry.out.find("consolidate plan: 1 migration(s) (dry run: nothing moved)") !=
          std::string::npos);
    CHECK(dry.out.find("hosts to free: host3") != std::string::npos);
    CHECK(c.layout() == "a d | b e | c");  // nothing moved

    const Completed done = c.cluster({"rebalance", "--policy", "consolidate"});
    REQUIRE_MESSAGE(done.status == 0, done.err);
    CHECK(done.out.find("cold") != std::string::npos);
    CHECK(done.out.find("hosts freed: host3") != std::string::npos);
    CHECK(c.layout() == "a c d | b e | -");
    // The moved VM kept its configuration and its load.
    const auto h1 = c.host(0);
    CHECK(h1["memory_used_mib"] == 228);
    CHECK(h1["load"] == doctest::Approx(2.0));

    // Balance, by hand: shares host1 2.0/2 = 1, host2 0.75/2, host3 0.
    // host1 offers a, c and d to host3; d leaves the smallest spread
    // (0.5 - 0.375 = 0.125). Then host1 (0.5, tied with host3, lower index)
    // offers a and c: host2 has no room (42 MiB free), and on host3 either
    // would widen the spread: stop.
    const Completed bal = c.cluster({"rebalance", "--policy", "balance"});
    REQUIRE_MESSAGE(bal.status == 0, bal.err);
    CHECK(bal.out.find("balance plan: 1 migration(s)") != std::string::npos);
    CHECK(c.layout() == "a c | b e | d");
    // Balanced already: nothing more to do.
    const Completed again = c.cluster({"rebalance", "--policy", "balance"});
    CHECK(again.status == 0);
    CHECK(again.out.find("balance plan: 0 migration(s)") != std::string::npos);
    c.down_and_check();

    // The trace, one event per line (category cluster): the five
    // placements, the two moves with their flow arrows, host3 powered off,
    // and each VM's stays on its hosts (closed by `down`).
    std::ifstream in(trace);
    std::map<std::string, int> count;
    std::vector<std::string> moves, stays;
    for (std::string line; std::getline(in, line);) {
        const auto e = nlohmann::json::parse(line);
        if (e.value("cat", "") != "cluster") continue;
        const std::string name = e["name"];
        count[name + "/" + e["ph"].get<std::string>()]++;
        if (name == "migrate")
            moves.push_back(e["args"]["vm"].get<std::string>() + " " +
                            e["args"]["from"].get<std::string>() + ">" +
                            e["args"]["to"].get<std::string>());
        if (e["ph"] == "X" && name != "migrate")
            stays.push_back(name + "@" + e["args"]["host"].get<std::string>());
    }
    CHECK(count["host/i"] == 3);
    CHECK(count["place/i"] == 5);
    CHECK(moves == std::vector<std::string>{"c host3>host1", "d host1>host3"});
    CHECK(count["migration/s"] == 2);
    CHECK(count["migration/f"] == 2);
    CHECK(count["power-off/i"] == 1);
    std::sort(stays.begin(), stays.end());
    CHECK(stays == std::vector<std::string>{"a@host1", "b@host2", "c@host1", "c@host3", "d@host1",
                                            "d@host3", "e@host2"});
}

TEST_CASE("a host whose service is gone takes no VM, and down still removes everything") {
    ClusterFixture c(2, 128);
    const std::string host2_sock = c.state + "/host2/vmms.sock";
    {
        ptv::vmms::Client client(host2_sock);
        const auto pong = client.request({{"op", "ping"}});
        REQUIRE(::kill(pong["pid"].get<pid_t>(), SIGKILL) == 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto s = c.status();
    CHECK(s["hosts"][1]["reachable"] == false);
    // Worst fit would pick the emptier host2 if it answered.
    REQUIRE(place(c, "a", "worst-fit", 64, 1).status == 0);
    REQUIRE(place(c, "b", "worst-fit", 32, 1).status == 0);
    CHECK(c.layout() == "a b | -");
    const Completed r = c.cluster({"rebalance", "--policy", "balance"});
    CHECK(r.status == 1);
    CHECK(first_line(r.err).find("ptv: host2 does not answer") == 0);
    c.down_and_check();
}

TEST_CASE("a service receiving a VM: a stream that is not a migration ends it, delete gives up") {
    ClusterFixture c(2, 128);
    const auto h2 = c.host(1);
    const std::string sock = c.state + "/host2/vmms.sock";
    const std::string address = h2["address"];
    ptv::vmms::Client client(sock);
    auto receive = [&](const std::string& name, int port) {
        return client.request({{"op", "receive"},
                               {"name", name},
                               {"guest", guest("counter")},
                               {"memory_mib", 16},
                               {"address", address},
                               {"port", port}});
    };
    const auto bad_port = receive("r", 0);
    CHECK(bad_port["ok"] == false);
    CHECK(bad_port["status"] == 2);
    CHECK(bad_port["error"] == "receive needs a port from 1 to 65535, not 0");

    const auto r = receive("r", 7411);
    REQUIRE_MESSAGE(r["ok"] == true, r.dump());
    CHECK(r["listening"] == address + ":7411");
    CHECK(c.layout() == "- | r");
    // A migration only a running VM can make.
    const auto m = client.request({{"op", "migrate"}, {"name", "r"}, {"to", "10.0.0.1:1"}});
    CHECK(m["ok"] == false);
    CHECK(m["status"] == 1);

    // Garbage on the port: the worker that takes it refuses the stream
    // and ends, and the record goes with it.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(7411);
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string junk = "GET / HTTP/1.0\r\n\r\n" + std::string(64, 'x');
    REQUIRE(::write(fd, junk.data(), junk.size()) == ssize_t(junk.size()));
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
        gone = c.layout() == "- | -";
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::close(fd);
    CHECK(gone);

    // Waiting, then given up: the port is free again.
    REQUIRE(receive("s", 7412)["ok"] == true);
    const auto del = client.request({{"op", "delete"}, {"name", "s"}});
    CHECK_MESSAGE(del["ok"] == true, del.dump());
    const int fd2 = ::socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(7412);
    CHECK(::connect(fd2, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0);
    ::close(fd2);
    CHECK(c.layout() == "- | -");
    c.down_and_check();
}

TEST_CASE("cluster mistakes: one line, status 2, nothing made") {
    TempDir d;
    const std::string state = d.file("cluster");
    auto cl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {bin("ptv"), "cluster"});
        args.insert(args.end(), {"--state-dir", state});
        return run(args, {}, 30);
    };
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::vector<Case> cases = {
        {{"up", "--hosts", "0"}, "ptv: --hosts 0 is out of range; give 1 to 16 hosts"},
        {{"up", "--hosts", "17"}, "ptv: --hosts 17 is out of range; give 1 to 16 hosts"},
        {{"up", "--hosts", "2", "--memory-mib", "8"},
         "ptv: --memory-mib 8 is too small; give at least 16 MiB per host"},
        {{"status"},
         "ptv: no cluster is up at " + state + "; start one with 'ptv cluster up --hosts N'"},
        {{"down"},
         "ptv: no cluster is up at " + state + "; start one with 'ptv cluster up --hosts N'"},
        {{"place", "v", "--policy", "next-fit"},
         "ptv: --policy next-fit is unknown; give first-fit, best-fit, worst-fit or balance"},
        {{"place", "v", "--memory-mib", "0"},
         "ptv: --memory-mib 0 is too small; give a VM some memory"},
        {{"place", "v"},
         "ptv: no cluster is up at " + state + "; start one with 'ptv cluster up --hosts N'"},
        {{"up", "--hosts", "2", "--trace", "/nonexistent-dir/t.json"},
         "ptv: cannot write the trace /nonexistent-dir/t.json: No such file or directory; choose "
         "another --trace"},
        {{"rebalance", "--policy", "pack"},
         "ptv: --policy pack is unknown; give consolidate or balance"},
    };
    for (const auto& k : cases) {
        CAPTURE(k.args[0]);
        const Completed r = cl(k.args);
        CHECK(r.status == 2);
        CHECK(r.err == k.line + "\n");
        CHECK_FALSE(std::filesystem::exists(state));
    }
}
