// What goes wrong in a migration, and what the user is told: the
// connection drops during pre-copy, the destination dies before the
// switch-over, the source dies during post-copy, garbage or a wrong
// protocol version arrives on the port, and plain bad input.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <regex>

#include "background.hpp"
#include "process.hpp"

using namespace ptv::test;

namespace {

pid_t pid_after(const std::string& text, const std::string& marker) {
    std::smatch m;
    if (std::regex_search(text, m, std::regex(marker + " \\(pid (\\d+)\\)")))
        return std::stoi(m[1]);
    return -1;
}

// `ptv migrate listen` on 127.0.0.1:port, once it is waiting.
struct Listener : Background {
    Listener(uint16_t port, const TempDir& dir)
        : Background({bin("ptv"), "migrate", "listen", "--port", std::to_string(port), "--address",
                      "127.0.0.1"},
                     dir, "listen") {
        REQUIRE(wait_err("waiting on"));
    }
};

bool alive(pid_t pid) {
    return pid > 0 && ::kill(pid, 0) == 0;
}

std::string exchange(uint16_t port, const std::string& bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
    std::string reply;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, size_t(n));
    ::close(fd);
    return reply;
}

// A post-copy migration through `proxy` (slowed to 1 MB/s) of a guest with
// a 16 MiB working set: 16 s of pages to push, so however late the test
// strikes after the switch-over, most of the guest is still at the source.
std::vector<std::string> slow_postcopy(const Proxy& proxy, const TempDir& dir,
                                       std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {bin("ptv"),  "migrate",
                                     "live",      "counter",
                                     "--mode",    "postcopy",
                                     "--cmdline", "16384",
                                     "--to",      "127.0.0.1:" + std::to_string(proxy.port()),
                                     "--after",   "0.3",
                                     "--trace",   dir.file("t.json")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

}  // namespace

TEST_CASE("the connection drops during pre-copy: the guest runs on at the source") {
    TempDir dir;
    const uint16_t port = free_port();
    Listener b(port, dir);
    // Cut after 200 KB: inside round 1 (its non-zero pages are ~1 MiB,
    // slowed to 2 MB/s), once B has taken the connection: a connection that
    // dies before its hello is complete is refused by the listener, which
    // then keeps listening.
    Proxy proxy(port, 200 * 1024, 2e6, false);
    Background live({bin("ptv"), "migrate", "live", "counter", "--to",
                     "127.0.0.1:" + std::to_string(proxy.port()), "--after", "0.4", "--stop-after",
                     "0.5", "--trace", dir.file("t.json")},
                    dir, "live");
    REQUIRE(b.wait_err("takes it", 60));
    proxy.arm();
    Completed a;
    a.status = live.wait();
    a.out = live.out();
    a.err = live.err();
    INFO(a.err);
    CHECK(a.status == 11);
    CHECK(a.err.find("migration failed: connection to 127.0.0.1") != std::string::npos);
    CHECK(a.err.find("the guest keeps running on the source (A)") != std::string::npos);
    // And it did: it printed after the failure, until --stop-after.
    CHECK(a.err.find("guest stopped on request") != std::string::npos);
    CHECK(a.out.find("counter 5") != std::string::npos);
    // B cleaned up: it says why and ends; nothing started there.
    CHECK(b.wait() == 11);
    INFO(b.err());
    CHECK(b.err().find("incoming migration failed before the switch-over") != std::string::npos);
    CHECK(b.err().find("the guest was not started here") != std::string::npos);
    CHECK(b.out().empty());
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

TEST_CASE("the destination dies before the switch-over: the guest runs on at the source") {
    TempDir dir;
    const uint16_t port = free_port();
    Listener b(port, dir);
    // Slowed to 2 MB/s, round 1 takes about half a second: time to kill B.
    Proxy proxy(port, ~0ull, 2e6);
    Background a({bin("ptv"), "migrate", "live", "counter", "--to",
                  "127.0.0.1:" + std::to_string(proxy.port()), "--after", "0.3", "--stop-after",
                  "0.5", "--trace", dir.file("t.json")},
                 dir, "live");
    REQUIRE(b.wait_err("takes it"));
    const pid_t worker_b = pid_after(b.err(), "worker B");
    REQUIRE(worker_b > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(worker_b, SIGKILL);
    CHECK(a.wait() == 11);
    INFO(a.err());
    CHECK(a.err().find("migration failed") != std::string::npos);
    CHECK(a.err().find("the guest keeps running on the source (A)") != std::string::npos);
    CHECK(a.out().find("counter 4") != std::string::npos);
    CHECK(b.wait() == 9);
    INFO(b.err());
    CHECK(b.err().find("the destination worker (pid " + std::to_string(worker_b) +
                       ") died: killed by signal 9") != std::string::npos);
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

TEST_CASE("the source dies during post-copy: the guest is lost, and the message says why") {
    TempDir dir;
    const uint16_t port = free_port();
    Listener b(port, dir);
    // Slow pages after the switch: the source still holds most of them.
    Proxy proxy(port, ~0ull, 1e6);
    Background a(slow_postcopy(proxy, dir), dir, "live");
    REQUIRE(a.wait_err("stop-and-copy"));  // the switch-over happened
    const pid_t worker_a = pid_after(a.err(), "worker A");
    REQUIRE(alive(worker_a));
    ::kill(worker_a, SIGKILL);
    CHECK(b.wait() == 12);
    INFO(b.err());
    CHECK(b.err().find("lost the source during post-copy") != std::string::npos);
    CHECK(b.err().find("the guest is lost") != std::string::npos);
    CHECK(b.err().find("post-copy's known risk") != std::string::npos);
    a.wait();
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

TEST_CASE("the path goes silent during post-copy: the destination gives up after --timeout") {
    TempDir dir;
    const uint16_t port = free_port();
    Listener b(port, dir);
    Proxy proxy(port, ~0ull, 1e6);
    Background a(slow_postcopy(proxy, dir, {"--timeout", "1"}), dir, "live");
    REQUIRE(a.wait_err("stop-and-copy"));
    // Both connections stay open: no reset, no FIN, only silence, as when
    // the source hangs or a link in between dies quietly.
    proxy.freeze();
    CHECK(b.wait() == 12);
    INFO(b.err());
    CHECK(b.err().find("lost the source during post-copy") != std::string::npos);
    CHECK(b.err().find("sent nothing for 1.0 s") != std::string::npos);
    CHECK(b.err().find("degraded until the source was lost") != std::string::npos);
    CHECK(b.err().find("the guest is lost") != std::string::npos);
    // The source's writes time out too; after the switch-over it has no
    // guest to go back to.
    const int a_status = a.wait();
    INFO(a.err());
    CHECK(a_status != 0);
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

TEST_CASE("garbage or a wrong protocol version on the port is refused with a clear error") {
    TempDir dir;
    const uint16_t port = free_port();
    Listener b(port, dir);
    const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\nsome more bytes to 32";
    std::string reply = exchange(port, garbage);
    CHECK(reply.find("not a ptvlab migration stream (bad magic): refused") != std::string::npos);
    REQUIRE(b.wait_err("refused a connection from 127.0.0.1"));

    // A well-formed hello from a future version.
    char hello[32] = {};
    std::memcpy(hello, "PTVMIGR\n", 8);
    const uint32_t version = 99, kind = 1;
    std::memcpy(hello + 8, &version, 4);
    std::memcpy(hello + 12, &kind, 4);
    const uint64_t bytes = 64ull << 20;
    std::memcpy(hello + 24, &bytes, 8);
    reply = exchange(port, std::string(hello, 32));
    CHECK(reply.find("protocol version 99 is not supported (this side speaks 1)") !=
          std::string::npos);
    // Still listening, no worker started for either; Ctrl-C ends it.
    CHECK(b.running());
    CHECK(processes_running(bin("ptv-vmwp")).empty());
    ::kill(b.pid(), SIGINT);
    CHECK(b.wait() == 10);
    CHECK(b.err().find("stopped before anything arrived") != std::string::npos);
}

TEST_CASE("bad input: one line, exit status 2") {
    TempDir dir;
    const std::string t = dir.file("t.json");
    struct Case {
        std::vector<std::string> args;
        std::string says;
    } cases[] = {
        {{"live", "no-such-guest", "--trace", t}, "no-such-guest"},
        {{"live", "counter", "--to", "not-an-address:1", "--trace", t}, "not an IP address"},
        {{"live", "counter", "--to", "127.0.0.1", "--trace", t}, "is not HOST:PORT"},
        {{"live", "counter", "--mode", "teleport", "--trace", t}, "teleport"},
        {{"live", "counter", "--trace", "/nonexistent/dir/t.json"}, "cannot write the trace"},
        {{"ship", "counter", "--to", "127.0.0.1:notaport"}, "not a port number"},
        {{"listen", "--port", "7070", "--address", "192.0.2.1"}, "cannot listen"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> argv = {bin("ptv"), "migrate"};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        CAPTURE(c.args[1]);
        const Completed r = run(argv, {}, 30);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    // Nobody listening: the connection is refused, and the guest is not harmed.
    const Completed r = run({bin("ptv"), "migrate", "ship", "counter", "--to",
                             "127.0.0.1:" + std::to_string(free_port())},
                            {}, 30);
    CHECK(r.status == 11);
    CHECK(r.err.find("cannot connect to 127.0.0.1") != std::string::npos);
}
