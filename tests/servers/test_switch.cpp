// The front-end switch of a server cluster (Fig. 3-12, sim/servers/switch):
// its policies exactly, on real sockets in front of real `ptv servers run`
// processes, a server killed under load and brought back, and
// `ptv servers switch` as a user runs it.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/servers/load/load.hpp"
#include "ptv/servers/switch/front_end_switch.hpp"
#include "server_process.hpp"

using namespace ptv::test;
namespace sf = ptv::servers::frontend;

namespace {

constexpr uint32_t kLoopback = 0x7f000001;  // 127.0.0.1

// N `ptv servers run --arch fsm` processes, server i serving /id.txt = "bI".
struct Tier {
    std::vector<std::unique_ptr<TempDir>> roots;
    std::vector<std::unique_ptr<ServerProcess>> servers;

    explicit Tier(int n) {
        for (int i = 0; i < n; ++i) {
            roots.push_back(std::make_unique<TempDir>());
            std::ofstream(roots.back()->file("id.txt")) << "b" << i;
            servers.push_back(std::make_unique<ServerProcess>(
                std::vector<std::string>{"--arch", "fsm", "--root", roots.back()->path}));
        }
    }
    std::vector<sf::Address> addresses() const {
        std::vector<sf::Address> out;
        for (const auto& s : servers) out.push_back({kLoopback, uint16_t(s->port())});
        return out;
    }
};

// The switch of the test, its loop on a thread of its own.
struct RunningSwitch {
    sf::FrontEndSwitch sw;
    std::thread loop;
    explicit RunningSwitch(sf::SwitchOptions o, std::unique_ptr<sf::Balancer> b = nullptr)
        : sw(std::move(o), std::move(b)), loop([this] { sw.run(); }) {}
    ~RunningSwitch() { finish(); }
    void finish() {
        if (!loop.joinable()) return;
        sw.stop();
        loop.join();
    }
};

sf::SwitchOptions options(const Tier& tier, sf::Policy policy, int check_ms = 200) {
    sf::SwitchOptions o;
    o.backends = tier.addresses();
    o.policy = policy;
    o.check_interval = std::chrono::milliseconds(check_ms);
    return o;
}

// A connection to 127.0.0.1:port from the loopback address `from` (all of
// 127/8 is loopback), so that clients can differ by address.
int connect_from(uint32_t from, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(from);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(kLoopback);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// GET /id.txt on fd: which server answered ("" if none did).
std::string ask_on(int fd, bool keep_alive) {
    send_all(fd, get_request("/id.txt", keep_alive ? "" : "Connection: close\r\n"));
    std::string buffer;
    auto r = read_response(fd, buffer);
    return r && r->status == 200 ? r->body : "";
}

// One connection, one request, closed: which server answered.
std::string ask(int port, uint32_t from = kLoopback) {
    int fd = connect_from(from, port);
    std::string who = ask_on(fd, false);
    close(fd);
    return who;
}

template <class Pred>
bool wait_until(Pred pred, double timeout_s) {
    const uint64_t deadline = ptv::now_ns() + uint64_t(timeout_s * 1e9);
    while (!pred()) {
        if (ptv::now_ns() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

bool all_closed(const sf::FrontEndSwitch& sw) {
    auto s = sw.stats();
    return std::all_of(s.backends.begin(), s.backends.end(),
                       [](const sf::BackendStats& b) { return b.open == 0; });
}

int count_entries(const char* dir) {
    int n = 0;
    if (DIR* d = opendir(dir)) {
        while (readdir(d)) ++n;
        closedir(d);
    }
    return n;
}

// The test's own SplitMix64 and rendezvous score, from the formula the
// switch documents (balancer.hpp), not from its code.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
size_t expected_hash_choice(uint32_t client, const std::vector<sf::Address>& servers) {
    size_t best = 0;
    uint64_t best_score = 0;
    for (size_t i = 0; i < servers.size(); ++i) {
        uint64_t s = mix(client ^ mix((uint64_t(servers[i].ip) << 16) | servers[i].port));
        if (i == 0 || s > best_score) best = i, best_score = s;
    }
    return best;
}

// `ptv servers run` on a given port (a server brought back), killed at the end.
struct Restarted {
    pid_t pid;
    Restarted(int port, const std::string& root)
        : pid(spawn({bin("ptv"), "servers", "run", "--arch", "fsm", "--port", std::to_string(port),
                     "--root", root})) {}
    ~Restarted() {
        kill(pid, SIGKILL);
        wait_for(pid);
    }
};

}  // namespace

TEST_CASE("switch: the policies' choices, exactly (no sockets)") {
    std::vector<sf::BackendView> v = {
        {{kLoopback, 8081}, true, 0}, {{kLoopback, 8082}, true, 0}, {{kLoopback, 8083}, true, 0}};
    SUBCASE("round-robin takes turns and skips a server that is down") {
        sf::RoundRobin rr;
        std::vector<int> got;
        for (int k = 0; k < 4; ++k) got.push_back(rr.pick(v, 0));
        CHECK(got == std::vector<int>{0, 1, 2, 0});
        v[1].up = false;
        got.clear();
        for (int k = 0; k < 4; ++k) got.push_back(rr.pick(v, 0));
        CHECK(got == std::vector<int>{2, 0, 2, 0});
    }
    SUBCASE("least-connections: the fewest open, of equals the first") {
        sf::LeastConnections lc;
        v[0].open = 2, v[1].open = 1, v[2].open = 1;
        CHECK(lc.pick(v, 0) == 1);
        v[1].up = false;
        CHECK(lc.pick(v, 0) == 2);
        v[2].open = 5;
        CHECK(lc.pick(v, 0) == 0);
    }
    SUBCASE("hash: the documented rendezvous choice; a server going down moves only its clients") {
        sf::SourceHash h;
        std::vector<sf::Address> addrs = {v[0].address, v[1].address, v[2].address};
        std::map<uint32_t, int> before;
        for (uint32_t c = kLoopback; c < kLoopback + 64; ++c) {
            before[c] = h.pick(v, c);
            CHECK(before[c] == int(expected_hash_choice(c, addrs)));
        }
        std::set<int> used;
        for (auto& [c, i] : before) used.insert(i);
        CHECK(used.size() == 3);
        v[1].up = false;
        for (auto& [c, i] : before) {
            const int now = h.pick(v, c);
            if (i != 1)
                CHECK(now == i);
            else
                CHECK(now != 1);
        }
    }
    SUBCASE("none up: -1") {
        for (auto& b : v) b.up = false;
        CHECK(sf::RoundRobin().pick(v, 0) == -1);
        CHECK(sf::LeastConnections().pick(v, 0) == -1);
        CHECK(sf::SourceHash().pick(v, 0) == -1);
    }
}

TEST_CASE("switch: round-robin over 3 servers, 9 connections one after another: 3 each, in turn") {
    Tier tier(3);
    RunningSwitch s(options(tier, sf::Policy::RoundRobin));
    std::vector<std::string> got;
    for (int k = 0; k < 9; ++k) got.push_back(ask(s.sw.port()));
    CHECK(got == std::vector<std::string>{"b0", "b1", "b2", "b0", "b1", "b2", "b0", "b1", "b2"});
    CHECK(wait_until([&] { return all_closed(s.sw); }, 5));
    auto st = s.sw.stats();
    CHECK(st.accepted == 9);
    CHECK(st.refused == 0);
    for (const auto& b : st.backends) {
        CHECK(b.connections == 3);
        CHECK(b.up);
        CHECK(b.marked_down == 0);
        CHECK(b.bytes_to_backend > 0);
        CHECK(b.bytes_to_client > b.bytes_to_backend);  // replies are longer than requests
    }
}

TEST_CASE(
    "switch: a half-closed request gets its whole reply; a slow reader holds back the "
    "server") {
    Tier tier(1);
    // 16 MiB: more than the socket buffers on the way can hold (loopback's
    // grow to a few MiB), so the switch meets a client that takes no more
    // and must hold the rest.
    std::string big(16 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + (i * 7919) % 26);
    std::ofstream(tier.roots[0]->file("big.bin"), std::ios::binary) << big;
    RunningSwitch s(options(tier, sf::Policy::RoundRobin));

    int fd = connect_from(kLoopback, s.sw.port());
    send_all(fd, get_request("/big.bin", "Connection: close\r\n"));
    REQUIRE(shutdown(fd, SHUT_WR) == 0);                          // the request is all there is
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let every buffer fill
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, size_t(n));
    close(fd);
    const size_t body = got.find("\r\n\r\n");
    REQUIRE(body != std::string::npos);
    CHECK(got.compare(0, 15, "HTTP/1.1 200 OK") == 0);
    CHECK(got.size() - body - 4 == big.size());
    CHECK(got.compare(body + 4, std::string::npos, big) == 0);
    CHECK(wait_until([&] { return all_closed(s.sw); }, 5));
    CHECK(s.sw.stats().backends[0].bytes_to_client == got.size());
}

TEST_CASE("switch: least-connections follows the connections held open") {
    Tier tier(3);
    RunningSwitch s(options(tier, sf::Policy::LeastConnections));
    const int port = s.sw.port();
    auto held = [&](std::string& who) {
        int fd = connect_from(kLoopback, port);
        who = ask_on(fd, true);  // kept alive: the connection stays open
        return fd;
    };
    std::string a, b, c, d, e, f;
    int fa = held(a), fb = held(b), fc = held(c), fd = held(d);
    // 0,0,0 -> b0; 1,0,0 -> b1; 1,1,0 -> b2; 1,1,1 -> b0 (the first of equals)
    CHECK(a == "b0");
    CHECK(b == "b1");
    CHECK(c == "b2");
    CHECK(d == "b0");
    close(fb);
    CHECK(wait_until([&] { return s.sw.stats().backends[1].open == 0; }, 5));
    int fe = held(e), ff = held(f);
    CHECK(e == "b1");  // 2,0,1
    CHECK(f == "b1");  // 2,1,1: the first of the ones
    for (int x : {fa, fc, fd, fe, ff}) close(x);
    CHECK(wait_until([&] { return all_closed(s.sw); }, 5));
}

TEST_CASE("switch: hash keeps each client address on the server rendezvous hashing names") {
    Tier tier(3);
    RunningSwitch s(options(tier, sf::Policy::Hash));
    const auto addrs = tier.addresses();
    std::set<std::string> used;
    for (uint32_t client = kLoopback; client < kLoopback + 16; ++client) {
        INFO("client 127.0.0." << (client & 255));
        const std::string expected = "b" + std::to_string(expected_hash_choice(client, addrs));
        for (int k = 0; k < 3; ++k) CHECK(ask(s.sw.port(), client) == expected);
        used.insert(expected);
    }
    CHECK(used.size() > 1);  // 16 clients on one of 3 servers: 1 in 3^15
}

TEST_CASE(
    "switch: a server that refuses is marked down at once and the client served by the next") {
    Tier tier(3);
    // Checks far apart: what takes the server out here is the refused connect.
    RunningSwitch s(options(tier, sf::Policy::RoundRobin, 60000));
    // (Its first round of checks, at once, has found every server up.)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(tier.servers[0]->stop(SIGKILL) == 128 + SIGKILL);
    CHECK(ask(s.sw.port()) == "b1");  // b0 refused; retried on b1, unseen by the client
    auto st = s.sw.stats();
    CHECK_FALSE(st.backends[0].up);
    CHECK(st.backends[0].marked_down == 1);
    CHECK(st.backends[0].failed_connects == 1);
    CHECK(st.backends[0].connections == 0);
    CHECK(st.backends[1].connections == 1);
    CHECK(ask(s.sw.port()) == "b2");
    CHECK(ask(s.sw.port()) == "b1");

    // With every server gone, a client's connection is closed unanswered.
    CHECK(tier.servers[1]->stop(SIGKILL) == 128 + SIGKILL);
    CHECK(tier.servers[2]->stop(SIGKILL) == 128 + SIGKILL);
    CHECK(ask(s.sw.port()) == "");
    st = s.sw.stats();
    CHECK(st.refused == 1);
    CHECK(st.backends[1].failed_connects == 1);
    CHECK(st.backends[2].failed_connects == 1);
    for (const auto& b : st.backends) CHECK_FALSE(b.up);
}

TEST_CASE(
    "switch: a server killed under load is out within a second, no request fails after, "
    "and it rejoins") {
    Tier tier(3);
    RunningSwitch s(options(tier, sf::Policy::RoundRobin));
    namespace sl = ptv::servers::load;
    sl::LoadOptions load;
    load.url = sl::parse_url("http://127.0.0.1:" + std::to_string(s.sw.port()) + "/id.txt");
    load.clients = 8;
    load.duration_s = 3;
    sl::LoadResult before;
    std::thread first([&] { before = sl::run_load(load); });
    std::this_thread::sleep_for(std::chrono::milliseconds(800));

    const uint64_t killed_at = ptv::now_ns();
    CHECK(tier.servers[1]->stop(SIGKILL) == 128 + SIGKILL);
    REQUIRE(wait_until([&] { return !s.sw.stats().backends[1].up; }, 5));
    const double out_after_s = double(ptv::now_ns() - killed_at) / 1e9;
    CHECK(out_after_s < 1.0);

    // Every request started after the server was taken out succeeds.
    load.duration_s = 1.5;
    load.clients = 4;
    const sl::LoadResult after = sl::run_load(load);
    first.join();
    MESSAGE("marked down " << out_after_s * 1000 << " ms after the kill; requests before: "
                           << before.completed << " (" << before.errors
                           << " failed around the kill), after: " << after.completed);
    CHECK(after.errors == 0);
    CHECK(after.completed > 100);
    CHECK(after.statuses.size() == 1);
    CHECK(after.statuses.count(200) == 1);
    CHECK(s.sw.stats().backends[1].marked_down == 1);

    // Brought back on its port, the server is checked up again and takes
    // its turn.
    Restarted again(tier.servers[1]->port(), tier.roots[1]->path);
    const uint64_t restarted_at = ptv::now_ns();
    REQUIRE(wait_until([&] { return s.sw.stats().backends[1].up; }, 5));
    CHECK(double(ptv::now_ns() - restarted_at) / 1e9 < 1.0);
    std::map<std::string, int> counts;
    for (int k = 0; k < 9; ++k) ++counts[ask(s.sw.port())];
    CHECK(counts == std::map<std::string, int>{{"b0", 3}, {"b1", 3}, {"b2", 3}});
}

namespace {

// A policy of the test's own: always the last server that is up.
struct LastUp final : sf::Balancer {
    std::string_view name() const override { return "last-up"; }
    int pick(std::span<const sf::BackendView> v, uint32_t) override {
        for (size_t i = v.size(); i-- > 0;)
            if (v[i].up) return int(i);
        return -1;
    }
};

}  // namespace

TEST_CASE("switch: a policy of one's own plugs in") {
    Tier tier(3);
    RunningSwitch s(options(tier, sf::Policy::RoundRobin), std::make_unique<LastUp>());
    CHECK(s.sw.policy_name() == "last-up");
    for (int k = 0; k < 3; ++k) CHECK(ask(s.sw.port()) == "b2");
    CHECK(tier.servers[2]->stop(SIGKILL) == 128 + SIGKILL);
    CHECK(ask(s.sw.port()) == "b1");
}

TEST_CASE("switch: stopped with connections open, it leaves no descriptor or thread behind") {
    Tier tier(2);
    const int fds = count_entries("/proc/self/fd"), threads = count_entries("/proc/self/task");
    {
        RunningSwitch s(options(tier, sf::Policy::RoundRobin, 20));
        int held = connect_from(kLoopback, s.sw.port());
        CHECK(ask_on(held, true) == "b0");
        CHECK(ask(s.sw.port()) == "b1");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // health checks in flight
        s.sw.stop();
        s.loop.join();
        s.loop = std::thread([] {});     // (the destructor joins it)
        CHECK(closed_by_peer(held, 5));  // the switch closed the client's side on its way out
        close(held);
    }
    CHECK(count_entries("/proc/self/fd") == fds);
    CHECK(count_entries("/proc/self/task") == threads);
}

TEST_CASE("switch: ptv servers switch relays, says when a server goes down, and stops") {
    Tier tier(2);
    const auto addrs = tier.addresses();
    ServerProcess sw(ServerProcess::Ptv{{"servers", "switch", "--listen", "127.0.0.1:0",
                                         "--backend", addrs[0].text(), "--backend", addrs[1].text(),
                                         "--policy", "round-robin", "--stats"}});
    CHECK(sw.first_line().find("ptv servers: switch (round-robin, 2 back ends) on "
                               "http://127.0.0.1:") == 0);
    CHECK(ask(sw.port()) == "b0");
    CHECK(ask(sw.port()) == "b1");
    CHECK(tier.servers[1]->stop(SIGKILL) == 128 + SIGKILL);
    // No client tries it meanwhile: the health check (every 200 ms) finds it.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int k = 0; k < 4; ++k) CHECK(ask(sw.port()) == "b0");
    CHECK(sw.stop(SIGTERM) == 0);
    INFO(sw.output());
    CHECK(sw.output().find("back end " + addrs[1].text() + " is down (health check: ") !=
          std::string::npos);
    CHECK(sw.output().find("ptv servers: switch stopped") != std::string::npos);
    // --stats: the table at the first check round, 200 ms in, and again each second.
    size_t tables = 0;
    for (size_t at = 0; (at = sw.output().find("failed connects", at)) != std::string::npos; ++at)
        ++tables;
    CHECK(tables >= 2);  // and the one it prints when it stops
    CHECK(sw.output().find("0 refused (no back end up)") != std::string::npos);
}

TEST_CASE("switch: bad input is one line and status 2") {
    // A port held by the test, for "in use".
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(kLoopback);
    REQUIRE(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(holder, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string in_use = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));

    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--listen", "127.0.0.1:0"}, "no back end"},
        {{"--backend", "127.0.0.1"}, "not ADDR:PORT"},
        {{"--backend", "300.1.1.1:80"}, "not an IPv4 address"},
        {{"--backend", "127.0.0.1:0"}, "from 1 to 65535"},
        {{"--backend", "127.0.0.1:80", "--listen", "nowhere:80"}, "not an IPv4 address"},
        {{"--backend", "127.0.0.1:80", "--policy", "random"}, "no such policy"},
        {{"--backend", "127.0.0.1:80", "--listen", in_use}, "in use"},
        {{"--backend", "127.0.0.1:80", "--check-ms", "0"}, "--check-ms"},
        {{"--backend", "127.0.0.1:8000", "--listen", "*:8000"}, "where the switch itself listens"},
    };
    for (const auto& [args, mentions] : cases) {
        std::vector<std::string> argv{bin("ptv"), "servers", "switch"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run(argv, {}, 30);
        INFO("args: " << args.back() << "; stderr: " << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(mentions) != std::string::npos);
    }
    close(holder);
}
