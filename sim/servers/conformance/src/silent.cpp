// Clients that connect and say nothing, and a 408 that must reach a client
// still sending (see checks.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/client.hpp"

namespace ptv::servers::conformance {

namespace {

double seconds_since(uint64_t t0) {
    return double(now_ns() - t0) / 1e9;
}

// `n` connections to 127.0.0.1:port that never send a byte; stops at the
// first that fails (recorded in `r`).
std::vector<int> open_silent(int port, int n, Report& r) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!r.check(fd >= 0, fmt::format("socket(): out of descriptors after {} silent clients "
                                          "(raise RLIMIT_NOFILE)",
                                          i)))
            break;
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            r.check(false, fmt::format("silent client {}: connect failed", i + 1));
            close(fd);
            break;
        }
        fds.push_back(fd);
    }
    return fds;
}

// How many of `fds` the server has closed (EOF or reset) or written to.
int closed_or_answered(const std::vector<int>& fds) {
    int n = 0;
    for (int fd : fds) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) ++n;
    }
    return n;
}

// One GET of /sub/a.txt on a new connection; the reply and how long it took.
std::optional<http::Response> timed_get(int port, double timeout_s, double& took) {
    const uint64_t t0 = now_ns();
    std::optional<http::Response> got;
    int fd = connect_to(port);
    if (fd >= 0) {
        send_all(fd, get_request("/sub/a.txt", "Connection: close\r\n"));
        std::string buf;
        got = read_response(fd, buf, false, timeout_s);
        close(fd);
    }
    took = seconds_since(t0);
    return got;
}

}  // namespace

void check_silent_connections_do_not_block(int port, int silent, int fresh, double limit_s,
                                           Report& r) {
    std::vector<int> fds = open_silent(port, silent, r);
    // A moment for the server to accept them all (they are then its, not
    // the kernel's accept queue's).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const uint64_t t0 = now_ns();
    const std::string meanwhile = fmt::format("while {} connections say nothing", fds.size());
    for (int i = 0; i < fresh; ++i) {
        double took = 0;
        auto got = timed_get(port, limit_s + 5, took);
        if (!r.expect_reply(fmt::format("fresh client {} of {} {}", i + 1, fresh, meanwhile), got,
                            200, "a\n"))
            break;
        if (!r.check(took <= limit_s, fmt::format("fresh client {} of {} {}: answered after "
                                                  "{:.3f} s, more than {:.3f} s",
                                                  i + 1, fresh, meanwhile, took, limit_s)))
            break;
    }
    // Silent connections end only by the first-byte timeout, which must be
    // longer than this check: none may have been closed (or answered) yet.
    const int gone = closed_or_answered(fds);
    r.check(gone == 0, fmt::format("{} of {} silent connections were closed within {:.1f} s; a "
                                   "connection may be closed only when silent for the timeout",
                                   gone, fds.size(), seconds_since(t0) + 0.2));
    for (int fd : fds) close(fd);
}

void check_one_connection_at_a_time(int port, double timeout_s, Report& r) {
    std::vector<int> holder = open_silent(port, 1, r);
    if (holder.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // accepted: the server is held
    double took = 0;
    auto got = timed_get(port, timeout_s + 5, took);
    const std::string what = fmt::format(
        "GET /sub/a.txt after a connection that says nothing (timeout {:g} s)", timeout_s);
    if (r.expect_reply(what, got, 200, "a\n")) {
        // It waited for the silent connection's timeout (less the 0.1 s
        // above), and not much longer.
        r.check(took >= 0.8 * timeout_s - 0.1,
                fmt::format("{}: answered after {:.2f} s; one connection at a time means it waits "
                            "for the silent one to time out",
                            what, took));
        r.check(
            took <= timeout_s + 2,
            fmt::format("{}: answered after {:.2f} s, more than the timeout + 2 s", what, took));
    }
    r.check(closed_or_answered(holder) == 1,
            fmt::format("the silent connection is not closed {:.2f} s after its timeout",
                        took + 0.1 - timeout_s));
    close(holder[0]);
}

void check_timeout_reply_survives(int port, Report& r) {
    // Clients that trickle a head far longer than the 0.3 s timeout allows
    // and keep trickling after the 408: the server must not close with their
    // bytes unread, nor while more come (either is a reset, which can destroy
    // the 408 before the client reads it), but half-close and drain them
    // (RFC 9112 §9.6, a lingering close). On loopback the 408 is in the
    // client's buffer before any reset comes, so the reset itself is what
    // shows: each client goes on sending for 100 ms after the end of the
    // reply, which a lingering server reads and a closed socket resets.
    constexpr int kClients = 4;
    constexpr uint64_t kAfterNs = 100'000'000;
    struct Client {
        int fd = -1;
        std::string got;
        uint64_t eof_at = 0;
        bool reset = false, done = false;
    };
    std::vector<Client> clients(kClients);
    for (auto& c : clients) {
        c.fd = connect_to(port);
        if (!r.check(c.fd >= 0, "cannot connect to the server")) {
            for (auto& o : clients)
                if (o.fd >= 0) close(o.fd);
            return;
        }
    }
    const std::string head = get_request("/small.txt", "X-Slow: " + std::string(400, 's') + "\r\n");
    const uint64_t t0 = now_ns();
    size_t at = 0;
    int open = kClients;
    while (open > 0 && seconds_since(t0) < 6) {
        for (auto& c : clients) {
            if (c.done) continue;
            if (send(c.fd, &head[at % head.size()], 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
                (errno == EPIPE || errno == ECONNRESET))
                c.reset = true;
            char buf[4096];
            while (!c.reset && !c.eof_at) {
                ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) {
                    c.got.append(buf, size_t(n));
                    continue;
                }
                if (n == 0) c.eof_at = now_ns();
                if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) c.reset = true;
                break;
            }
            if (c.reset || (c.eof_at && now_ns() - c.eof_at >= kAfterNs)) {
                c.done = true;
                --open;
            }
        }
        ++at;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (size_t i = 0; i < clients.size(); ++i) {
        Client& c = clients[i];
        const std::string who = fmt::format(
            "client {} of {} trickling its head a byte every 20 ms past the 0.3 s timeout", i + 1,
            kClients);
        http::ResponseParser parser;
        const bool whole =
            !c.got.empty() && parser.feed(c.got).status == http::ResponseParser::Status::Complete;
        if (r.check(whole, fmt::format("{}: {} bytes of reply, not a whole response: {}", who,
                                       c.got.size(), printable(c.got))))
            r.check(parser.response().status == 408,
                    fmt::format("{}: status {}, not 408", who, parser.response().status));
        r.check(!c.reset, fmt::format("{}: the connection was reset ({}); the server must "
                                      "half-close after the 408 and read what still comes",
                                      who, c.eof_at ? "after the end of the reply" : "before it"));
        r.check(c.eof_at || c.reset, fmt::format("{}: not closed within 6 s", who));
        close(c.fd);
    }
}

}  // namespace ptv::servers::conformance
