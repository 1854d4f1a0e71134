// Clients that hold connections without working (see checks.hpp): slow
// heads (slowloris) and idle keep-alive connections, while others must
// still be served.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace ptv::servers::conformance {

namespace {

double seconds_since(uint64_t t0) {
    return double(now_ns() - t0) / 1e9;
}

// `fresh` clients one after another, each a new connection and one GET,
// each answered within limit_s.
void serve_fresh(int port, int fresh, double limit_s, const std::string& meanwhile, Report& r) {
    for (int i = 0; i < fresh; ++i) {
        const std::string req = get_request("/sub/a.txt", "Connection: close\r\n");
        const uint64_t t0 = now_ns();
        auto got = exchange(port, req);
        const double took = seconds_since(t0);
        if (!r.expect_reply(fmt::format("fresh client {} of {} {}", i + 1, fresh, meanwhile), got,
                            200, "a\n"))
            return;
        if (!r.check(took <= limit_s, fmt::format("fresh client {} of {} {}: answered after "
                                                  "{:.2f} s, more than {:.1f} s",
                                                  i + 1, fresh, meanwhile, took, limit_s)))
            return;
    }
}

}  // namespace

void check_slowloris_does_not_block(int port, int slow, int fast, double limit_s, Report& r) {
    // The slow clients trickle on a thread of their own until the fast ones
    // are done (or the server cuts them off).
    std::atomic<bool> done{false};
    std::vector<int> fds;
    for (int i = 0; i < slow; ++i) {
        int fd = connect_to(port);
        if (!r.check(fd >= 0, "cannot connect to the server")) break;
        fds.push_back(fd);
    }
    std::thread trickler([&] {
        const std::string head =
            get_request("/small.txt", "X-Slow: " + std::string(200, 's') + "\r\n");
        for (size_t at = 0; at < head.size() && !done; ++at) {
            for (int fd : fds) (void)!send(fd, &head[at], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    serve_fresh(port, fast, limit_s,
                fmt::format("while {} clients trickle their heads a byte every 20 ms", slow), r);
    done = true;
    trickler.join();
    for (int fd : fds) close(fd);
}

void check_idle_keep_alive(int port, int idle, int fresh, double limit_s, bool held, Report& r) {
    // 1. Every idle client makes one request on a kept-alive connection,
    //    then says nothing more (many_concurrent_requests leaves them open).
    struct Idle {
        int fd = -1;
        std::string buf;
    };
    std::vector<Idle> conns(static_cast<size_t>(idle));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string first = get_request("/small.txt");
    size_t answered = 0;
    for (auto& c : conns) {
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!r.check(c.fd >= 0, fmt::format("socket(): out of descriptors after {} idle clients "
                                            "(raise RLIMIT_NOFILE)",
                                            &c - conns.data())))
            break;
        timeval tv{5, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            r.check(false, fmt::format("idle client {}: connect failed", &c - conns.data() + 1));
            break;
        }
        send_all(c.fd, first);
    }
    for (auto& c : conns) {
        if (c.fd < 0) break;
        auto got = read_response(c.fd, c.buf, false, 5);
        if (got && got->status == 200 && got->body == ServedTree::kSmallText) ++answered;
    }
    if (!r.check(answered == size_t(idle),
                 fmt::format("{} clients each sent one keep-alive GET /small.txt at once: {} "
                             "answered 200 with the file",
                             idle, answered))) {
        for (auto& c : conns)
            if (c.fd >= 0) close(c.fd);
        return;
    }
    // 2. While they idle, fresh clients are served.
    serve_fresh(port, fresh, limit_s, fmt::format("while {} kept-alive connections idle", idle), r);
    // 3. Held: every idle connection is still open and answers again.
    if (held) {
        const std::string second = get_request("/sub/a.txt");
        size_t again = 0;
        for (auto& c : conns) send_all(c.fd, second);
        for (auto& c : conns) {
            auto got = read_response(c.fd, c.buf, false, 5);
            if (got && got->status == 200 && got->body == "a\n") ++again;
        }
        r.check(again == size_t(idle),
                fmt::format("{} idle kept-alive connections, each asked a second request: {} "
                            "answered; the server must hold idle connections open",
                            idle, again));
    }
    for (auto& c : conns) close(c.fd);
}

}  // namespace ptv::servers::conformance
