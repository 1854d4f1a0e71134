// The finite-state-machine server: one thread, epoll, non-blocking sockets
// and an explicit state per connection (Fig. 3-3's third row; Flash's AMPED
// with helper threads for the disk). See architectures.hpp.
//
// Every connection is in one of four states; the thread only ever does what
// can be done without waiting, and records where it left off:
//
//   ReadingRequest --request parsed--> (cache hit, or no file) WritingReply
//         ^                        \--> (cache miss) WaitingForDisk --helper done--> WritingReply
//         |                                                                            |
//         +---------------------- reply sent, keep-alive ------------------------------+
//   WritingReply --reply sent, close--> Lingering (drain what the client still sends) --> closed
//   ReadingRequest --timeout mid-request: 408--> Lingering
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/disk_helpers.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/http/reply.hpp"

namespace ptv::servers::arch {

namespace {

constexpr uint64_t kLingerNs = 500'000'000;
constexpr size_t kReadChunk = 64 * 1024;

struct Connection;

// Connections ordered by deadline. All deadlines in one list are "now +
// the same duration" when set, so appending keeps the order and every
// update is O(1) (a timer wheel with one slot per duration).
class DeadlineList {
  public:
    void set(Connection& c, uint64_t deadline);
    void remove(Connection& c);
    Connection* expired(uint64_t now) const;
    uint64_t earliest() const;

  private:
    std::list<Connection*> list_;
};

struct Connection {
    enum class State : uint8_t { ReadingRequest, WaitingForDisk, WritingReply, Lingering };

    int fd;
    uint64_t id;
    State state = State::ReadingRequest;
    bool closed = false;
    // Edge-triggered bookkeeping, as nginx does it: a read that returned
    // less than asked drained the socket, so the next read waits for the
    // next edge instead of costing a recv() that says EAGAIN.
    bool readable = true;
    bool peer_closed = false;  // EPOLLRDHUP or EPOLLHUP seen: read until the end
    bool first_request = true;

    http::RequestParser parser;
    std::string pending;  // bytes read past the end of the current request
    http::Request request;

    // The reply being written.
    std::string head;
    std::shared_ptr<const std::string> body;
    size_t sent = 0;
    bool keep_alive = false, linger_after = false;
    uint16_t status = 0;

    // For the trace.
    uint64_t accepted_ns = 0, arrive_ns = 0, disk_begin_ns = 0, disk_end_ns = 0;
    uint8_t flags = 0;

    DeadlineList* timer = nullptr;
    uint64_t deadline = 0;
    std::list<Connection*>::iterator timer_pos;
};

void DeadlineList::set(Connection& c, uint64_t deadline) {
    if (c.timer) c.timer->remove(c);
    c.timer = this;
    c.deadline = deadline;
    c.timer_pos = list_.insert(list_.end(), &c);
}

void DeadlineList::remove(Connection& c) {
    if (c.timer != this) return;
    list_.erase(c.timer_pos);
    c.timer = nullptr;
}

Connection* DeadlineList::expired(uint64_t now) const {
    if (list_.empty() || list_.front()->deadline > now) return nullptr;
    return list_.front();
}

uint64_t DeadlineList::earliest() const {
    return list_.empty() ? UINT64_MAX : list_.front()->deadline;
}

// epoll's data.ptr for the descriptors that are not connections.
char kListenTag, kStopTag, kDiskTag;

class EventLoop {
  public:
    explicit EventLoop(ServerEnv& env)
        : env_(env),
          acceptor_(env.listen_fd),
          timeout_ns_(uint64_t(env.timeout.count()) * 1'000'000),
          buf_(new char[kReadChunk]) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        disk_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        add(env.listen_fd, EPOLLIN, &kListenTag);
        add(env.stop.fd(), EPOLLIN, &kStopTag);
        add(disk_fd_, EPOLLIN, &kDiskTag);
        helpers_ = std::make_unique<DiskHelpers>(env.disk, env.workers);
    }
    ~EventLoop() {
        helpers_.reset();  // finishes queued reads, whose results are then dropped
        for (auto& c : connections_)
            if (c && !c->closed) ::close(c->fd);
        ::close(disk_fd_);
        ::close(ep_);
    }

    void run();

  private:
    struct Completion {
        int fd;
        uint64_t id;
        http::DiskRead read;
    };

    void add(int fd, uint32_t events, void* tag) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = tag;
        epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }

    void accept_all();
    void advance(Connection& c);
    bool read_request(Connection& c);
    void start_request(Connection& c);
    void begin_reply(Connection& c, const http::Reply& reply);
    bool write_reply(Connection& c);
    void linger(Connection& c);
    void disk_done();
    void expire(Connection& c);
    void close_connection(Connection& c);
    int epoll_timeout_ms() const;

    ServerEnv& env_;
    Acceptor acceptor_;
    const uint64_t timeout_ns_;
    std::unique_ptr<char[]> buf_;
    int ep_ = -1, disk_fd_ = -1;
    bool listening_ = true;
    uint64_t backoff_until_ = 0;

    std::vector<std::unique_ptr<Connection>> connections_;  // by fd
    std::vector<std::unique_ptr<Connection>> closed_;       // freed after each batch of events
    DeadlineList idle_or_reading_, lingering_;

    std::mutex completions_mtx_;
    std::vector<Completion> completions_;
    std::unique_ptr<DiskHelpers> helpers_;
};

void EventLoop::run() {
    std::vector<epoll_event> events(512);
    bool stopping = false;
    while (!stopping) {
        int n = epoll_wait(ep_, events.data(), int(events.size()), epoll_timeout_ms());
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            void* tag = events[i].data.ptr;
            if (tag == &kStopTag) {
                stopping = true;
            } else if (tag == &kListenTag) {
                accept_all();
            } else if (tag == &kDiskTag) {
                disk_done();
            } else {
                auto* c = static_cast<Connection*>(tag);
                if (c->closed) continue;
                const uint32_t ev = events[i].events;
                if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = true;
                if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_closed = true;
                advance(*c);
            }
        }
        const uint64_t now = now_ns();
        while (Connection* c = idle_or_reading_.expired(now)) expire(*c);
        while (Connection* c = lingering_.expired(now)) expire(*c);
        if (!listening_ && now >= backoff_until_) {
            add(env_.listen_fd, EPOLLIN, &kListenTag);
            listening_ = true;
        }
        closed_.clear();
    }
}

int EventLoop::epoll_timeout_ms() const {
    uint64_t next = std::min(idle_or_reading_.earliest(), lingering_.earliest());
    if (!listening_) next = std::min(next, backoff_until_);
    if (next == UINT64_MAX) return -1;
    uint64_t now = now_ns();
    return next <= now ? 0 : int((next - now + 999'999) / 1'000'000);
}

void EventLoop::accept_all() {
    for (;;) {
        Acceptor::Result r = acceptor_.accept();
        if (r.kind == Acceptor::Kind::None) return;
        if (r.kind == Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        if (r.kind == Acceptor::Kind::Backoff) {
            // Stop watching the listening socket for a while, or the loop
            // would spin on it.
            epoll_ctl(ep_, EPOLL_CTL_DEL, env_.listen_fd, nullptr);
            listening_ = false;
            backoff_until_ = now_ns() + 100'000'000;
            return;
        }
        env_.counters.connections.fetch_add(1, std::memory_order_relaxed);
        auto c = std::make_unique<Connection>();
        c->fd = r.fd;
        c->id = env_.counters.next_connection.fetch_add(1, std::memory_order_relaxed);
        c->accepted_ns = now_ns();
        idle_or_reading_.set(*c, c->accepted_ns + timeout_ns_);
        // Edge-triggered, registered once: no epoll_ctl per request. The
        // state says what an edge means.
        add(r.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, c.get());
        if (size_t(r.fd) >= connections_.size()) connections_.resize(size_t(r.fd) + 1);
        connections_[size_t(r.fd)] = std::move(c);
    }
}

// Runs the state machine of one connection as far as it goes without
// waiting.
void EventLoop::advance(Connection& c) {
    for (;;) {
        if (c.closed) return;
        switch (c.state) {
            case Connection::State::ReadingRequest:
                if (!read_request(c)) return;
                break;
            case Connection::State::WritingReply:
                if (!write_reply(c)) return;
                break;
            case Connection::State::WaitingForDisk:
                return;  // a helper will report back
            case Connection::State::Lingering:
                linger(c);
                return;
        }
    }
}

// Reads until a request is complete (true: the state moved on) or the
// socket has nothing more (false: wait for the next edge).
bool EventLoop::read_request(Connection& c) {
    using Status = http::RequestParser::Status;
    auto feed = [&](std::string_view bytes) -> http::RequestParser::Outcome {
        if (!c.parser.started()) c.arrive_ns = c.first_request ? c.accepted_ns : now_ns();
        return c.parser.feed(bytes);
    };
    for (;;) {
        http::RequestParser::Outcome out{Status::NeedMore};
        if (!c.pending.empty()) {
            out = feed(c.pending);
            c.pending.erase(0, out.status == Status::Complete ? out.consumed : c.pending.size());
        } else {
            if (!c.readable && !c.peer_closed) return false;
            ssize_t n = recv(c.fd, buf_.get(), kReadChunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                c.readable = false;
                return false;
            }
            if (n <= 0) {  // the client closed, or an error
                close_connection(c);
                return false;
            }
            if (size_t(n) < kReadChunk) c.readable = false;
            out = feed({buf_.get(), size_t(n)});
            if (out.status == Status::Complete)
                c.pending.assign(buf_.get() + out.consumed, size_t(n) - out.consumed);
        }
        if (out.status == Status::NeedMore) continue;
        if (out.status == Status::Error) {
            c.request = http::Request{};
            begin_reply(c, http::error_reply(out.error_status));
            return true;
        }
        start_request(c);
        return true;
    }
}

void EventLoop::start_request(Connection& c) {
    c.request = c.parser.request();
    c.flags = 0;
    c.disk_begin_ns = c.disk_end_ns = 0;
    http::Service::Plan plan = env_.service.plan(c.request);
    if (plan.reply) return begin_reply(c, *plan.reply);
    // The cache is looked up here (it never blocks); only a miss goes to a
    // helper, and the connection waits in its own state, not in a thread.
    if (auto hit = env_.disk.lookup(plan.disk_path)) {
        c.flags |= RequestRecord::kCacheHit;
        return begin_reply(c, env_.service.finish(c.request, *hit));
    }
    c.flags |= RequestRecord::kCacheMiss;
    c.state = Connection::State::WaitingForDisk;
    if (c.timer) c.timer->remove(c);  // the disk's wait is bounded by its latency
    c.disk_begin_ns = now_ns();
    int fd = c.fd;
    uint64_t id = c.id;
    helpers_->submit(plan.disk_path, [this, fd, id](http::DiskRead&& read) {
        {
            std::lock_guard lk(completions_mtx_);
            completions_.push_back({fd, id, std::move(read)});
        }
        uint64_t one = 1;
        (void)!write(disk_fd_, &one, sizeof one);
    });
}

void EventLoop::disk_done() {
    uint64_t count;
    (void)!read(disk_fd_, &count, sizeof count);
    std::vector<Completion> done;
    {
        std::lock_guard lk(completions_mtx_);
        done.swap(completions_);
    }
    for (auto& d : done) {
        // The connection may have been closed (and its descriptor reused)
        // while the helper worked: check it is still the one that asked.
        if (size_t(d.fd) >= connections_.size() || !connections_[size_t(d.fd)]) continue;
        Connection& c = *connections_[size_t(d.fd)];
        if (c.closed || c.id != d.id || c.state != Connection::State::WaitingForDisk) continue;
        c.disk_end_ns = now_ns();
        begin_reply(c, env_.service.finish(c.request, d.read));
        advance(c);
    }
}

void EventLoop::begin_reply(Connection& c, const http::Reply& reply) {
    c.keep_alive = c.request.keep_alive && !reply.close;
    c.linger_after = reply.close || !c.pending.empty();
    c.head = http::render_head(reply, c.request, c.keep_alive);
    c.body = c.request.method == http::Method::Head ? nullptr : reply.body;
    if (c.request.method == http::Method::Head) c.flags |= RequestRecord::kHead;
    c.status = uint16_t(reply.status);
    c.sent = 0;
    c.state = Connection::State::WritingReply;
    idle_or_reading_.set(c, now_ns() + timeout_ns_);
}

// Writes as much of the reply as the socket takes. True when the reply is
// done and the state moved on; false to wait for EPOLLOUT (or closed).
bool EventLoop::write_reply(Connection& c) {
    const size_t body_size = c.body ? c.body->size() : 0;
    const size_t total = c.head.size() + body_size;
    while (c.sent < total) {
        iovec iov[2];
        int count = 0;
        if (c.sent < c.head.size()) {
            iov[count++] = {c.head.data() + c.sent, c.head.size() - c.sent};
            if (body_size) iov[count++] = {const_cast<char*>(c.body->data()), body_size};
        } else {
            size_t b = c.sent - c.head.size();
            iov[count++] = {const_cast<char*>(c.body->data() + b), body_size - b};
        }
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = size_t(count);
        ssize_t n = sendmsg(c.fd, &m, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += size_t(n);
            idle_or_reading_.set(c, now_ns() + timeout_ns_);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return false;
        close_connection(c);  // EPIPE, ECONNRESET: the client left mid-reply
        return false;
    }
    const uint64_t end = now_ns();
    env_.counters.requests.fetch_add(1, std::memory_order_relaxed);
    if (env_.log) {
        if (RequestRecord* r = env_.log->claim()) {
            uint8_t flags = c.flags | (c.keep_alive ? RequestRecord::kKeptAlive : 0);
            *r = {c.id,        worker_id(),     c.status,      flags, 0,    c.arrive_ns,
                  c.arrive_ns, c.disk_begin_ns, c.disk_end_ns, end,   total};
        }
    }
    c.head = std::string();  // an idle connection keeps no buffers
    c.body.reset();
    if (!c.keep_alive) {
        if (!c.linger_after) {
            close_connection(c);
            return false;
        }
        shutdown(c.fd, SHUT_WR);
        c.state = Connection::State::Lingering;
        lingering_.set(c, end + kLingerNs);
        return true;
    }
    c.parser.reset();
    c.first_request = false;
    c.state = Connection::State::ReadingRequest;
    idle_or_reading_.set(c, end + timeout_ns_);
    if (c.pending.empty()) c.pending = std::string();
    return true;
}

// After a reply that closes: read and drop what the client still sends
// until it closes too (or the linger time ends), so that closing does not
// reset the connection under the reply.
void EventLoop::linger(Connection& c) {
    for (;;) {
        ssize_t n = recv(c.fd, buf_.get(), kReadChunk, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        close_connection(c);
        return;
    }
}

void EventLoop::expire(Connection& c) {
    if (c.state == Connection::State::ReadingRequest && c.parser.started()) {
        // A request under way, too slow: 408, then Lingering like any reply
        // that closes -- the client is still sending, and closing with its
        // bytes unread would reset the connection under the 408.
        env_.counters.timeouts.fetch_add(1, std::memory_order_relaxed);
        http::Reply reply = http::error_reply(408);
        std::string bytes = http::render_head(reply, {}, false) + *reply.body;
        (void)!send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(c.fd, SHUT_WR);
        c.state = Connection::State::Lingering;
        lingering_.set(c, now_ns() + kLingerNs);
        linger(c);  // what came since the last edge
        return;
    }
    close_connection(c);
}

void EventLoop::close_connection(Connection& c) {
    if (c.closed) return;
    c.closed = true;
    if (c.timer) c.timer->remove(c);
    ::close(c.fd);  // also takes it out of the epoll set
    // Keep the object until the end of this batch of events: later events
    // of the batch may still point at it.
    closed_.push_back(std::move(connections_[size_t(c.fd)]));
}

}  // namespace

void FiniteStateMachineServer::serve() {
    EventLoop(env_).run();
}

}  // namespace ptv::servers::arch
