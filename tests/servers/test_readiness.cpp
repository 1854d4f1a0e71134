// The readiness loop (sim/servers/arch/readiness.hpp), in-process on
// socket pairs: a connection leaves it when it speaks (or ends), a silent
// one is closed at its deadline and counted, and a deadline belongs to the
// connection, not to the descriptor number it had.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/readiness.hpp"
#include "server_process.hpp"

using ptv::servers::arch::ReadinessLoop;
using ptv::servers::arch::SharedCounters;
using namespace std::chrono_literals;

namespace {

// {the server's end (for the loop), the client's end}.
std::pair<int, int> connection() {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    return {sv[0], sv[1]};
}

// The server closed its end: the client reads EOF.
bool closed_by_server(int client) {
    pollfd p{client, POLLIN, 0};
    char c;
    return poll(&p, 1, 0) == 1 && recv(client, &c, 1, MSG_DONTWAIT) == 0;
}

std::vector<int> fds_of(const std::vector<ReadinessLoop::Ready>& ready) {
    std::vector<int> v;
    for (const auto& r : ready) v.push_back(r.fd);
    return v;
}

}  // namespace

TEST_CASE("readiness loop: a connection leaves when it speaks or ends, silent ones wait") {
    SharedCounters counters;
    ReadinessLoop loop(10s, counters);
    auto [s1, c1] = connection();
    auto [s2, c2] = connection();
    auto [s3, c3] = connection();
    loop.add(s1);
    loop.add(s2);
    loop.add(s3);
    CHECK(loop.waiting() == 3);

    std::vector<ReadinessLoop::Ready> ready;
    loop.collect(ready);
    CHECK(ready.empty());

    const uint64_t before = ptv::now_ns();
    REQUIRE(send(c2, "G", 1, 0) == 1);
    shutdown(c3, SHUT_WR);  // an end is news too: the session reads it at once
    loop.collect(ready);
    std::vector<int> got = fds_of(ready);
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<int>{s2, s3});
    for (const auto& r : ready) CHECK(r.ready_ns >= before);
    CHECK(loop.waiting() == 1);
    // Taken out of the set: reported once, even though still readable.
    ready.clear();
    loop.collect(ready);
    CHECK(ready.empty());
    CHECK(counters.timeouts == 0);
    for (int fd : {s2, s3, c1, c2, c3}) close(fd);
}  // the destructor closes s1

TEST_CASE("readiness loop: silent past the timeout, closed without a word and counted") {
    SharedCounters counters;
    ReadinessLoop loop(50ms, counters);
    REQUIRE(ptv::test::raise_fd_limit() > 2100);  // both ends of 1,000 connections
    std::vector<int> clients;
    for (int i = 0; i < 1000; ++i) {
        auto [s, c] = connection();
        loop.add(s);
        clients.push_back(c);
    }
    CHECK(loop.next_deadline() > ptv::now_ns());
    CHECK(loop.next_deadline() <= ptv::now_ns() + 50'000'000);
    std::this_thread::sleep_for(80ms);
    std::vector<ReadinessLoop::Ready> ready;
    loop.collect(ready);
    CHECK(ready.empty());
    CHECK(loop.waiting() == 0);
    CHECK(counters.timeouts == 1000);
    CHECK(loop.next_deadline() == UINT64_MAX);
    int closed = 0;
    for (int c : clients) {
        closed += closed_by_server(c);
        close(c);
    }
    CHECK(closed == 1000);
}

TEST_CASE("readiness loop: a descriptor reused by a new connection gets its own deadline") {
    SharedCounters counters;
    ReadinessLoop loop(100ms, counters);
    auto [s1, c1] = connection();
    loop.add(s1);
    REQUIRE(send(c1, "G", 1, 0) == 1);
    std::vector<ReadinessLoop::Ready> ready;
    loop.collect(ready);
    REQUIRE(fds_of(ready) == std::vector<int>{s1});
    close(s1);
    close(c1);
    std::this_thread::sleep_for(60ms);
    // The kernel hands out the lowest free descriptor: s1's number again.
    auto [s2, c2] = connection();
    REQUIRE(s2 == s1);
    loop.add(s2);
    std::this_thread::sleep_for(60ms);  // past s1's deadline, not s2's
    ready.clear();
    loop.collect(ready);
    CHECK(loop.waiting() == 1);
    CHECK(counters.timeouts == 0);
    CHECK(!closed_by_server(c2));
    std::this_thread::sleep_for(60ms);  // past s2's
    loop.collect(ready);
    CHECK(loop.waiting() == 0);
    CHECK(counters.timeouts == 1);
    CHECK(closed_by_server(c2));
    close(c2);
}

TEST_CASE("readiness loop: taken one at a time, the others keep its descriptor readable") {
    SharedCounters counters;
    ReadinessLoop loop(10s, counters);
    std::vector<std::pair<int, int>> conns;
    for (int i = 0; i < 3; ++i) {
        conns.push_back(connection());
        loop.add(conns.back().first);
        REQUIRE(send(conns.back().second, "G", 1, 0) == 1);
    }
    auto others_wait = [&] {
        pollfd p{loop.fd(), POLLIN, 0};
        return poll(&p, 1, 0) == 1;
    };
    std::vector<ReadinessLoop::Ready> ready;
    CHECK(others_wait());
    loop.collect(ready, 1);
    CHECK(ready.size() == 1);
    CHECK(others_wait());  // two more have spoken
    loop.collect(ready, 1);
    CHECK(ready.size() == 2);
    CHECK(others_wait());
    loop.collect(ready, 1);
    CHECK(ready.size() == 3);
    CHECK(!others_wait());
    CHECK(loop.waiting() == 0);
    for (auto [s, c] : conns) {
        close(s);
        close(c);
    }
}

TEST_CASE("readiness loop: one that has spoken is not closed at its deadline while it waits") {
    SharedCounters counters;
    ReadinessLoop loop(50ms, counters);
    auto [s1, c1] = connection();
    auto [s2, c2] = connection();
    loop.add(s1);
    loop.add(s2);
    REQUIRE(send(c1, "G", 1, 0) == 1);
    REQUIRE(send(c2, "G", 1, 0) == 1);
    std::vector<ReadinessLoop::Ready> ready;
    loop.collect(ready, 1);
    std::this_thread::sleep_for(80ms);  // the other waits past its deadline
    loop.collect(ready, 1);
    CHECK(ready.size() == 2);
    CHECK(counters.timeouts == 0);
    for (int fd : {s1, s2, c1, c2}) close(fd);
}
