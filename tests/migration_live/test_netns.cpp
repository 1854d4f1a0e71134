// Across a real network path: the two sides in two network namespaces of
// their own, joined by a veth pair (10.77.N.1 <-> 10.77.N.2), so the
// migration crosses two network stacks and a link, not loopback.
#include <unistd.h>

#include <doctest/doctest.h>

#include <regex>
#include <sstream>

#include "background.hpp"
#include "counter_lines.hpp"
#include "process.hpp"

using namespace ptv::test;

namespace {

std::string ip_tool() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
        if (::access(p, X_OK) == 0) return p;
    return "";
}

// Two namespaces and a veth pair; all removed at the end.
struct TwoHosts {
    std::string ip = ip_tool(), a, b, net;
    explicit TwoHosts(int n) {
        const std::string id = std::to_string(::getpid() % 100000);
        a = "ptvA" + id;
        b = "ptvB" + id;
        net = "10.77." + std::to_string(n);
        const std::string va = "pa" + id, vb = "pb" + id;
        for (const auto& cmd : std::vector<std::vector<std::string>>{
                 {ip, "netns", "add", a},
                 {ip, "netns", "add", b},
                 {ip, "link", "add", va, "type", "veth", "peer", "name", vb},
                 {ip, "link", "set", va, "netns", a},
                 {ip, "link", "set", vb, "netns", b},
                 {ip, "-n", a, "addr", "add", net + ".1/24", "dev", va},
                 {ip, "-n", b, "addr", "add", net + ".2/24", "dev", vb},
                 {ip, "-n", a, "link", "set", va, "up"},
                 {ip, "-n", b, "link", "set", vb, "up"},
                 {ip, "-n", a, "link", "set", "lo", "up"},
                 {ip, "-n", b, "link", "set", "lo", "up"}}) {
            const Completed c = run(cmd, {}, 10);
            REQUIRE_MESSAGE(c.status == 0, cmd[1] << " " << cmd[2] << ": " << c.err);
        }
    }
    ~TwoHosts() {
        // Deleting a namespace deletes the veth end in it, and the pair.
        run({ip, "netns", "del", a}, {}, 10);
        run({ip, "netns", "del", b}, {}, 10);
    }
    std::vector<std::string> in(const std::string& ns, std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {ip, "netns", "exec", ns});
        return argv;
    }
};

}  // namespace

TEST_CASE("live migration between two network namespaces, over a veth link") {
    REQUIRE_MESSAGE(!ip_tool().empty(), "iproute2's ip is missing: run scripts/setup.sh");
    REQUIRE_MESSAGE(::geteuid() == 0, "network namespaces need root (CI runs as root)");
    TempDir dir;
    for (std::string mode : {"precopy", "postcopy"}) {
        CAPTURE(mode);
        TwoHosts hosts(mode == "precopy" ? 1 : 2);
        // B runs the guest for 1 s: two lines of its own even in a sanitizer
        // build, whose post-copy is slow to fault pages in.
        Background b(hosts.in(hosts.b, {bin("ptv"), "migrate", "listen", "--port", "7070",
                                        "--address", hosts.net + ".2", "--stop-after", "1"}),
                     dir, "listen-" + mode);
        REQUIRE(b.wait_err("waiting on"));
        const Completed a =
            run(hosts.in(hosts.a,
                         {bin("ptv"), "migrate", "live", "counter", "--mode", mode, "--to",
                          hosts.net + ".2:7070", "--after", "0.5", "--trace", dir.file("t.json")}),
                {}, 60);
        INFO(a.err);
        CHECK(a.status == 0);
        CHECK(a.err.find("migrated counter (" + mode) != std::string::npos);
        CHECK(b.wait() == 0);
        INFO(b.err());
        // B saw A's address on the other side of the link.
        CHECK(b.err().find(hosts.net + ".1:") != std::string::npos);
        CHECK(b.err().find(": match") != std::string::npos);
        // One guest, two hosts: its lines continue with no gap, no repeat.
        counter_lines(a.out + b.out());
        const std::string there = b.out();
        CHECK(std::count(there.begin(), there.end(), '\n') >= 2);
    }
}
