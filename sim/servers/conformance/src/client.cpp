// The raw HTTP client of the checks (see client.hpp).
#include "ptv/servers/conformance/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace ptv::servers::conformance {

int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        bytes.remove_prefix(size_t(n));
    }
}

std::optional<http::Response> read_response(int fd, std::string& buffer, bool head,
                                            double timeout_s, size_t* bytes_seen) {
    using P = http::ResponseParser;
    P parser(head);
    size_t seen_here = 0;
    size_t& seen = bytes_seen ? *bytes_seen : seen_here;
    seen = buffer.size();
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    auto feed = [&]() -> std::optional<P::Status> {
        auto out = parser.feed(buffer);
        if (out.status == P::Status::NeedMore) {
            buffer.clear();
            return std::nullopt;
        }
        buffer.erase(0, out.consumed);
        return out.status;
    };
    if (!buffer.empty()) {
        if (auto s = feed()) {
            if (*s == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
    }
    while (now_ns() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0) {
            if (parser.finish() == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
        if (n < 0) return std::nullopt;
        seen += size_t(n);
        buffer.append(buf, size_t(n));
        if (auto s = feed()) {
            if (*s == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
    }
    return std::nullopt;
}

bool closed_by_peer(int fd, double timeout_s) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    while (now_ns() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        if (n > 0) return false;  // it sent something instead
    }
    return false;
}

std::optional<http::Response> exchange(int port, std::string_view request, bool head) {
    int fd = connect_to(port);
    if (fd < 0) return std::nullopt;
    send_all(fd, request);
    std::string buffer;
    auto r = read_response(fd, buffer, head);
    close(fd);
    return r;
}

std::string get_request(std::string_view path, std::string_view extra, std::string_view method) {
    std::string r;
    r.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: test\r\n");
    r.append(extra);
    r.append("\r\n");
    return r;
}

int many_concurrent_requests(int port, int n, double timeout_s) {
    using P = http::ResponseParser;
    struct Conn {
        int fd = -1;
        bool sent = false, done = false;
        std::unique_ptr<P> parser;
    };
    const std::string request = get_request("/small.txt");
    std::vector<Conn> conns(static_cast<size_t>(n));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int answered = 0, finished = 0, opened = 0;
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    std::vector<epoll_event> events(1024);
    // Connections are opened in waves of 2,000 (half the kernel's default
    // accept backlog, net.core.somaxconn = 4096), each wave answered before
    // the next, all kept open: what is tested is the server, not how the
    // kernel drops SYNs when the backlog overflows.
    constexpr int kWave = 2000;
    while (finished < n && now_ns() < deadline) {
        if (finished == opened) {
            for (int w = 0; w < kWave && opened < n; ++w, ++opened) {
                Conn& c = conns[size_t(opened)];
                c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (c.fd < 0) {
                    c.done = true;
                    ++finished;
                    continue;
                }
                connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // EINPROGRESS
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
                ev.data.u32 = uint32_t(opened);
                epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
            }
        }
        int k = epoll_wait(ep, events.data(), int(events.size()), 100);
        for (int e = 0; e < k; ++e) {
            Conn& c = conns[events[size_t(e)].data.u32];
            if (c.done) continue;
            if (!c.sent && (events[size_t(e)].events & EPOLLOUT)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {  // refused or reset: count as unanswered
                    c.done = true;
                    ++finished;
                    continue;
                }
                send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
                c.sent = true;
                c.parser = std::make_unique<P>();
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u32 = events[size_t(e)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            if (!c.sent) continue;
            char buf[4096];
            ssize_t got = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0 && errno == EAGAIN) continue;
            bool complete = false;
            if (got > 0) {
                complete = c.parser->feed({buf, size_t(got)}).status == P::Status::Complete;
            } else {
                complete = c.parser->finish() == P::Status::Complete;
            }
            if (complete || got <= 0) {
                if (complete && c.parser->response().status == 200 &&
                    c.parser->response().body == ServedTree::kSmallText)
                    ++answered;
                c.done = true;
                ++finished;
                epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);  // but keep it open
            }
        }
    }
    for (auto& c : conns)
        if (c.fd >= 0) close(c.fd);
    close(ep);
    return answered;
}

}  // namespace ptv::servers::conformance
