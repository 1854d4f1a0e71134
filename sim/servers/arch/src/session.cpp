// One connection, blocking style (see session.hpp).
#include "ptv/servers/arch/session.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "ptv/common/clock.hpp"
#include "ptv/servers/http/reply.hpp"

namespace ptv::servers::arch {

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// How long a kept-alive connection may idle before it gives way to waiting
// connections (iterative, prefork, dispatcher-worker).
constexpr uint64_t kShedGraceNs = 100'000'000;

int poll_timeout_ms(uint64_t deadline_ns) {
    if (deadline_ns == 0) return -1;
    uint64_t now = now_ns();
    if (now >= deadline_ns) return 0;
    return int((deadline_ns - now + 999'999) / 1'000'000);
}

}  // namespace

uint32_t worker_id() {
    return uint32_t(gettid());
}

Waiter::Result PollWaiter::wait(int fd, short events, uint64_t deadline_ns, bool shed) {
    for (;;) {
        pollfd p[3] = {{fd, events, 0}, {stop_fd_, POLLIN, 0}, {contention_fd_, POLLIN, 0}};
        nfds_t n = (shed && contention_fd_ >= 0) ? 3 : 2;
        int r = poll(p, n, poll_timeout_ms(deadline_ns));
        if (r < 0) {
            if (errno == EINTR) continue;
            return Result::Ready;  // let the next call on the socket report it
        }
        if (p[1].revents) return Result::Stop;
        if (p[0].revents) return Result::Ready;
        if (n == 3 && p[2].revents) return Result::Contended;
        if (r == 0 && now_ns() >= deadline_ns) return Result::Timeout;
    }
}

bool PollWaiter::contended() {
    if (contention_fd_ < 0) return false;
    pollfd p{contention_fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

bool send_all(int fd, std::string_view head, std::string_view body, Waiter& waiter,
              std::chrono::milliseconds timeout) {
    const uint64_t timeout_ns = uint64_t(timeout.count()) * 1'000'000;
    const size_t total = head.size() + body.size();
    size_t off = 0;
    uint64_t deadline = now_ns() + timeout_ns;
    while (off < total) {
        iovec iov[2];
        int count = 0;
        if (off < head.size()) {
            iov[count++] = {const_cast<char*>(head.data() + off), head.size() - off};
            if (!body.empty()) iov[count++] = {const_cast<char*>(body.data()), body.size()};
        } else {
            size_t b = off - head.size();
            iov[count++] = {const_cast<char*>(body.data() + b), body.size() - b};
        }
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = size_t(count);
        ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (n > 0) {
            off += size_t(n);
            deadline = now_ns() + timeout_ns;  // progress: a slow reader is not a dead one
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (waiter.wait(fd, POLLOUT, deadline, false) == Waiter::Result::Ready) continue;
        }
        return false;  // EPIPE, ECONNRESET (the client left), too slow, stopping
    }
    return true;
}

void lingering_close(int fd, Waiter& waiter) {
    shutdown(fd, SHUT_WR);
    const uint64_t deadline = now_ns() + 500'000'000;
    char buf[4096];
    size_t drained = 0;
    while (drained < 256 * 1024) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            drained += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN &&
            waiter.wait(fd, POLLIN, deadline, false) == Waiter::Result::Ready)
            continue;
        break;
    }
    close(fd);
}

void serve_connection(int fd, const Session& s, uint64_t accepted_ns, uint64_t started_ns) {
    s.counters.connections.fetch_add(1, std::memory_order_relaxed);
    const uint64_t connection = s.counters.next_connection.fetch_add(1, std::memory_order_relaxed);
    const uint64_t timeout_ns = uint64_t(s.timeout.count()) * 1'000'000;
    http::RequestParser parser;
    std::string pending;  // bytes read past the end of the last request (pipelining)
    std::unique_ptr<char[]> buf(new char[kReadChunk]);
    uint64_t arrive = accepted_ns, start = started_ns;
    bool first = true;

    for (;;) {
        // 1. Read one request. The deadline covers the idle time before it
        //    and its head: a slow client cannot hold this worker forever.
        const uint64_t idle_since = now_ns();
        const uint64_t deadline = idle_since + timeout_ns;
        http::RequestParser::Outcome out{http::RequestParser::Status::NeedMore};
        auto feed = [&](std::string_view bytes) {
            if (!first && !parser.started()) arrive = start = now_ns();
            out = parser.feed(bytes);
            return out.status == http::RequestParser::Status::Complete ? bytes.substr(out.consumed)
                                                                       : std::string_view{};
        };
        if (!pending.empty()) {
            std::string rest(feed(pending));
            pending = std::move(rest);
        }
        while (out.status == http::RequestParser::Status::NeedMore) {
            ssize_t n = recv(fd, buf.get(), kReadChunk, 0);
            if (n > 0) {
                pending.assign(feed({buf.get(), size_t(n)}));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                // Only a kept-alive connection between requests gives way to
                // waiting ones (a new connection is owed its first request),
                // and only once it has been idle for kShedGraceNs: a client
                // that sends its next request at once keeps its connection.
                const bool idle = !first && !parser.started();
                const bool shed = idle && now_ns() >= idle_since + kShedGraceNs;
                const uint64_t until =
                    idle && !shed ? std::min(deadline, idle_since + kShedGraceNs) : deadline;
                Waiter::Result w = s.waiter.wait(fd, POLLIN, until, shed);
                if (w == Waiter::Result::Ready) continue;
                if (w == Waiter::Result::Timeout && until < deadline) continue;  // grace is over
                if (w == Waiter::Result::Contended) {
                    // Give way -- unless the next request is already here,
                    // which closing would lose.
                    n = recv(fd, buf.get(), kReadChunk, MSG_DONTWAIT);
                    if (n > 0) {
                        pending.assign(feed({buf.get(), size_t(n)}));
                        continue;
                    }
                }
                if (w == Waiter::Result::Timeout && parser.started()) {
                    // A request under way, too slow: say so, then close
                    // lingering -- the client is still sending, and closing
                    // with its bytes unread would reset the connection under
                    // the 408.
                    s.counters.timeouts.fetch_add(1, std::memory_order_relaxed);
                    std::string head = http::render_head(http::error_reply(408), {}, false);
                    auto body = http::error_reply(408).body;
                    head += *body;
                    (void)!send(fd, head.data(), head.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                    lingering_close(fd, s.waiter);
                    return;
                }
            }
            close(fd);  // closed by the client, an error, idle too long, shed, or stopping
            return;
        }

        // 2. Plan, read the disk if needed, reply.
        http::Reply reply;
        http::Request request;
        uint64_t disk_begin = 0, disk_end = 0;
        uint8_t flags = 0;
        if (out.status == http::RequestParser::Status::Error) {
            reply = http::error_reply(out.error_status);
        } else {
            request = parser.request();
            http::Service::Plan plan = s.service.plan(request);
            if (plan.reply) {
                reply = std::move(*plan.reply);
            } else {
                uint64_t t0 = now_ns();
                http::DiskRead read = s.read_disk(plan.disk_path);
                uint64_t t1 = now_ns();
                if (read.hit) {
                    flags |= RequestRecord::kCacheHit;
                } else {
                    flags |= RequestRecord::kCacheMiss;
                    disk_begin = t0;
                    disk_end = t1;
                }
                reply = s.service.finish(request, read);
            }
        }
        // Keep the connection only if nobody else waits for this worker:
        // otherwise one keep-alive client would starve the others.
        const bool keep = out.status == http::RequestParser::Status::Complete &&
                          request.keep_alive && !reply.close && !s.waiter.contended();
        const bool head_only = request.method == http::Method::Head;
        std::string head = http::render_head(reply, request, keep);
        std::string_view body =
            (reply.body && !head_only) ? std::string_view(*reply.body) : std::string_view{};
        if (!send_all(fd, head, body, s.waiter, s.timeout)) {
            close(fd);
            return;
        }
        const uint64_t end = now_ns();
        s.counters.requests.fetch_add(1, std::memory_order_relaxed);
        if (s.log) {
            if (RequestRecord* r = s.log->claim()) {
                if (keep) flags |= RequestRecord::kKeptAlive;
                if (head_only) flags |= RequestRecord::kHead;
                *r = {connection,
                      worker_id(),
                      uint16_t(reply.status),
                      flags,
                      0,
                      arrive,
                      start,
                      disk_begin,
                      disk_end,
                      end,
                      head.size() + body.size()};
            }
        }
        if (!keep) {
            if (reply.close || !pending.empty())
                lingering_close(fd, s.waiter);
            else
                close(fd);
            return;
        }
        parser.reset();
        first = false;
    }
}

}  // namespace ptv::servers::arch
