// `ptv cluster serve`: a server cluster (Fig. 3-12) on the cluster's hosts,
// real servers in their namespaces behind the front-end switch, driven
// over real sockets: the policy's spread, a server killed and taken out of
// rotation with no client failing after that, and the tier gone at the end.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "../migration_live/background.hpp"
#include "cluster_fixture.hpp"

using namespace ptv::test;

namespace {

// One GET over a connection of its own; the whole response ("" when the
// connection failed).
std::string get(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
        if (::write(fd, req.data(), req.size()) == ssize_t(req.size())) {
            char buf[4096];
            for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, size_t(n));
        }
    }
    ::close(fd);
    return response;
}

bool ok(const std::string& response) {
    return response.rfind("HTTP/1.", 0) == 0 && response.find(" 200 ") != std::string::npos &&
           response.size() >= 5 && response.compare(response.size() - 5, 5, "hello") == 0;
}

// The `ptv servers run` in a host's namespace, if one runs there.
pid_t server_in(const std::string& netns) {
    const std::string pids = ip_output({"netns", "pids", netns});
    std::istringstream in(pids);
    for (pid_t p; in >> p;) {
        std::ifstream cmd("/proc/" + std::to_string(p) + "/cmdline");
        std::string c((std::istreambuf_iterator<char>(cmd)), {});
        if (c.find("servers") != std::string::npos && c.find("run") != std::string::npos) return p;
    }
    return 0;
}

}  // namespace

TEST_CASE("a server cluster: round robin over the hosts, and a killed server leaves the rotation") {
    ClusterFixture c(3, 128);
    TempDir root;
    std::ofstream(root.file("a.txt")) << "hello";
    Background serve(
        {bin("ptv"), "cluster", "serve", "--arch", "thread-per-connection", "--switch",
         "round-robin", "--check-ms", "100", "--root", root.path, "--state-dir", c.state},
        root, "serve");
    std::smatch m;
    int port = 0;
    for (int i = 0; i < 1000 && !port; ++i) {
        const std::string out = serve.out();
        if (std::regex_search(out, m, std::regex(R"(on http://127\.0\.0\.1:(\d+)/)")))
            port = std::stoi(m[1]);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE_MESSAGE(port > 0, serve.out() << serve.err());
    CHECK(serve.out().find("in front of 3 thread-per-connection server(s)") != std::string::npos);
    for (int i = 0; i < 9; ++i) CHECK(ok(get(port, "/a.txt")));

    // host2's server dies: the active check takes it out within a second,
    // and from then on every request is served by the other two.
    const pid_t victim = server_in(c.netns[1]);
    REQUIRE(victim > 0);
    const auto killed = std::chrono::steady_clock::now();
    REQUIRE(::kill(victim, SIGKILL) == 0);
    bool down = false;
    while (!down && std::chrono::steady_clock::now() - killed < std::chrono::seconds(3)) {
        down = serve.out().find("host2 (") != std::string::npos &&
               serve.out().find("is down") != std::string::npos;
        if (!down) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const double took_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    REQUIRE(down);
    CHECK(took_s < 1.0);
    int failed = 0;
    for (int i = 0; i < 12; ++i) failed += !ok(get(port, "/a.txt"));
    CHECK(failed == 0);

    REQUIRE(::kill(serve.pid(), SIGTERM) == 0);
    CHECK(serve.wait(20) == 0);
    // 3 each before the kill; 6 each to host1 and host3 after it.
    const std::string out = serve.out();
    const std::string subnet = c.status()["subnet"];
    auto connections = [&](int k) {
        std::smatch s;
        const std::regex row(subnet + "\\." + std::to_string(k) +
                             R"(:8080 +(up|down) +\d+ +(\d+))");
        return std::regex_search(out, s, row) ? std::stoi(s[2]) : -1;
    };
    CHECK(connections(1) == 9);
    CHECK(connections(2) == 3);
    CHECK(connections(3) == 9);
    // The tier went with the switch.
    for (const auto& ns : c.netns) CHECK(server_in(ns) == 0);
    c.down_and_check();
}

TEST_CASE("cluster serve mistakes: one line, status 2, no server started") {
    ClusterFixture c(2, 64);
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::vector<Case> cases = {
        {{"--hosts", "3"}, "ptv: --hosts 3: the cluster has 2 host(s); give 1 to 2"},
        {{"--switch", "random"}, ""},
        {{"--arch", "threads-everywhere"}, ""},
        {{"--root", "/nonexistent-root"}, "ptv: --root /nonexistent-root is not a directory"},
    };
    for (const auto& k : cases) {
        std::vector<std::string> args = {"serve"};
        args.insert(args.end(), k.args.begin(), k.args.end());
        const Completed r = c.cluster(args);
        CAPTURE(k.args[0]);
        CHECK(r.status == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        if (!k.line.empty()) CHECK(r.err == k.line + "\n");
        for (const auto& ns : c.netns) CHECK(server_in(ns) == 0);
    }
    c.down_and_check();
}
