// The finite-state-machine server: one thread, epoll, non-blocking sockets
// and a record per connection of where it stands (Fig. 3-3's third row;
// Flash's AMPED, Pai et al. 1999, with helper threads for the disk). The
// thread never waits for one client: it does what can be done now and
// remembers the rest in the connection's state.
//
//   Reading --request complete, cache hit or no file--> Writing
//      ^    \--cache miss--> WaitingForDisk --helper reports--> Writing
//      |                                                         |
//      +------------- reply sent, kept alive --------------------+
//   Writing --reply sent, closing after an error--> Lingering --> closed
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/disk_helpers.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/http/reply.hpp"
#include "ptv/servers/http/request.hpp"
#include "servers_lab.hpp"

namespace servers_lab {

using namespace ptv::servers;

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr uint64_t kLingerNs = 500'000'000;  // drain a closing client this long
constexpr uint64_t kBackoffNs = 100'000'000;

// epoll's data.u64: these three, or a connection's number (from kFirstId).
constexpr uint64_t kListenId = 1, kStopId = 2, kDiskId = 3, kFirstId = 16;

struct Connection {
    enum class State { Reading, WaitingForDisk, Writing, Lingering };

    int fd = -1;
    uint64_t id = 0;
    State state = State::Reading;
    http::RequestParser parser;
    std::string pending;  // bytes read past the request being served (pipelining)
    http::Request request;
    // The reply being written.
    std::string head;
    std::shared_ptr<const std::string> body;
    size_t sent = 0;
    bool keep_alive = false;
    bool linger = false;  // close by draining first (an error reply, unread bytes)
    uint64_t deadline = 0;
};

class EventLoop {
  public:
    explicit EventLoop(arch::ServerEnv& env)
        : env_(env),
          acceptor_(env.listen_fd),
          timeout_ns_(uint64_t(env.timeout.count()) * 1'000'000) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        disk_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        watch(env.listen_fd, EPOLLIN, kListenId);
        watch(env.stop.fd(), EPOLLIN, kStopId);
        watch(disk_fd_, EPOLLIN, kDiskId);
        helpers_ = std::make_unique<arch::DiskHelpers>(env.disk, env.workers);
    }
    ~EventLoop() {
        helpers_.reset();  // joins the helpers (their reports are dropped)
        for (auto& [id, c] : connections_) close(c->fd);
        close(disk_fd_);
        close(ep_);
    }
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void run();

  private:
    struct Done {
        uint64_t id;
        http::DiskRead read;
    };

    void watch(int fd, uint32_t events, uint64_t id) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = id;
        epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }
    void set_deadline(Connection& c, uint64_t at) {
        deadlines_.erase({c.deadline, c.id});
        c.deadline = at;
        if (at) deadlines_.insert({at, c.id});
    }
    Connection* find(uint64_t id) {
        auto it = connections_.find(id);
        return it == connections_.end() ? nullptr : it->second.get();
    }

    void accept_all();
    void advance(Connection& c);
    bool read_request(Connection& c);
    void start_request(Connection& c);
    void begin_reply(Connection& c, const http::Reply& reply);
    bool write_reply(Connection& c);
    void drain(Connection& c);
    void disk_done();
    void expire(uint64_t now);
    void finish(Connection& c);
    int wait_ms() const;

    arch::ServerEnv& env_;
    arch::Acceptor acceptor_;
    const uint64_t timeout_ns_;
    int ep_ = -1, disk_fd_ = -1;
    bool listening_ = true;
    uint64_t backoff_until_ = 0;
    uint64_t next_id_ = kFirstId;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
    std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (when, connection)
    char buf_[kChunk];

    std::mutex done_mtx_;
    std::vector<Done> done_;  // filled by the helpers
    std::unique_ptr<arch::DiskHelpers> helpers_;
};

void EventLoop::run() {
    epoll_event events[256];
    for (;;) {
        const int n = epoll_wait(ep_, events, 256, wait_ms());
        if (n < 0 && errno != EINTR) return;
        for (int i = 0; i < n; ++i) {
            const uint64_t id = events[i].data.u64;
            if (id == kStopId) return;
            if (id == kListenId) {
                accept_all();
            } else if (id == kDiskId) {
                disk_done();
            } else if (Connection* c = find(id)) {
                advance(*c);  // edge-triggered: it reads or writes until EAGAIN
            }
        }
        const uint64_t now = ptv::now_ns();
        expire(now);
        if (!listening_ && now >= backoff_until_) {
            watch(env_.listen_fd, EPOLLIN, kListenId);
            listening_ = true;
        }
    }
}

int EventLoop::wait_ms() const {
    uint64_t next = deadlines_.empty() ? UINT64_MAX : deadlines_.begin()->first;
    if (!listening_) next = std::min(next, backoff_until_);
    if (next == UINT64_MAX) return -1;
    const uint64_t now = ptv::now_ns();
    return next <= now ? 0 : int((next - now + 999'999) / 1'000'000);
}

void EventLoop::accept_all() {
    for (;;) {
        const arch::Acceptor::Result r = acceptor_.accept();
        if (r.kind == arch::Acceptor::Kind::None) return;
        if (r.kind == arch::Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        if (r.kind == arch::Acceptor::Kind::Backoff) {
            // Out of descriptors: stop watching the listening socket for a
            // moment, or the loop would spin on it.
            epoll_ctl(ep_, EPOLL_CTL_DEL, env_.listen_fd, nullptr);
            listening_ = false;
            backoff_until_ = ptv::now_ns() + kBackoffNs;
            return;
        }
        env_.counters.connections++;
        auto c = std::make_unique<Connection>();
        c->fd = r.fd;
        c->id = next_id_++;
        set_deadline(*c, ptv::now_ns() + timeout_ns_);
        // Registered once, for both directions, edge-triggered: the state
        // says what an edge means.
        watch(r.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, c->id);
        Connection& ref = *c;
        connections_.emplace(ref.id, std::move(c));
        advance(ref);  // the request may be there already
    }
}

// Runs one connection's machine as far as it goes without waiting.
void EventLoop::advance(Connection& c) {
    const uint64_t id = c.id;
    while (find(id)) {
        switch (c.state) {
            case Connection::State::Reading:
                if (!read_request(c)) return;
                break;
            case Connection::State::Writing:
                if (!write_reply(c)) return;
                break;
            case Connection::State::WaitingForDisk:
                return;  // a helper reports back through disk_fd_
            case Connection::State::Lingering:
                drain(c);
                return;
        }
    }
}

// Reads and parses until a request is complete (true: the state moved on)
// or the socket is empty (false: wait for the next edge).
bool EventLoop::read_request(Connection& c) {
    using Status = http::RequestParser::Status;
    for (;;) {
        http::RequestParser::Outcome out{Status::NeedMore};
        if (!c.pending.empty()) {
            out = c.parser.feed(c.pending);
            c.pending.erase(0, out.status == Status::Complete ? out.consumed : c.pending.size());
        } else {
            const ssize_t n = recv(c.fd, buf_, kChunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return false;
            if (n <= 0) {  // the client closed, or an error
                finish(c);
                return false;
            }
            out = c.parser.feed({buf_, size_t(n)});
            if (out.status == Status::Complete)
                c.pending.assign(buf_ + out.consumed, size_t(n) - out.consumed);
        }
        if (out.status == Status::NeedMore) continue;
        if (out.status == Status::Error) {
            c.request = http::Request{};
            begin_reply(c, http::error_reply(out.error_status));
        } else {
            start_request(c);
        }
        return true;
    }
}

void EventLoop::start_request(Connection& c) {
    c.request = c.parser.request();
    const http::Service::Plan plan = env_.service.plan(c.request);
    if (plan.reply) return begin_reply(c, *plan.reply);
    // The cache never blocks: look there first. Only a miss waits, and it
    // waits in a helper thread, the connection in its state.
    if (std::optional<http::DiskRead> hit = env_.disk.lookup(plan.disk_path))
        return begin_reply(c, env_.service.finish(c.request, *hit));
    c.state = Connection::State::WaitingForDisk;
    set_deadline(c, 0);  // the disk's wait is bounded by its latency
    const uint64_t id = c.id;
    helpers_->submit(plan.disk_path, [this, id](http::DiskRead&& read) {
        {
            std::lock_guard lk(done_mtx_);
            done_.push_back({id, std::move(read)});
        }
        uint64_t one = 1;
        (void)!write(disk_fd_, &one, sizeof one);
    });
}

void EventLoop::disk_done() {
    uint64_t count;
    (void)!read(disk_fd_, &count, sizeof count);
    std::vector<Done> done;
    {
        std::lock_guard lk(done_mtx_);
        done.swap(done_);
    }
    for (Done& d : done) {
        // The connection may be gone (the client left meanwhile).
        Connection* c = find(d.id);
        if (!c || c->state != Connection::State::WaitingForDisk) continue;
        begin_reply(*c, env_.service.finish(c->request, d.read));
        advance(*c);
    }
}

void EventLoop::begin_reply(Connection& c, const http::Reply& reply) {
    c.keep_alive = c.request.keep_alive && !reply.close;
    c.linger = reply.close || !c.pending.empty();
    c.head = http::render_head(reply, c.request, c.keep_alive);
    c.body = c.request.method == http::Method::Head ? nullptr : reply.body;
    c.sent = 0;
    c.state = Connection::State::Writing;
    set_deadline(c, ptv::now_ns() + timeout_ns_);
}

// Writes what the socket takes. True when the reply is out and the state
// moved on; false to wait for the next EPOLLOUT edge (or closed).
bool EventLoop::write_reply(Connection& c) {
    const size_t body_size = c.body ? c.body->size() : 0;
    const size_t total = c.head.size() + body_size;
    while (c.sent < total) {
        iovec iov[2];
        size_t count = 0;
        if (c.sent < c.head.size()) {
            iov[count++] = {c.head.data() + c.sent, c.head.size() - c.sent};
            if (body_size) iov[count++] = {const_cast<char*>(c.body->data()), body_size};
        } else {
            const size_t at = c.sent - c.head.size();
            iov[count++] = {const_cast<char*>(c.body->data() + at), body_size - at};
        }
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = count;
        const ssize_t n = sendmsg(c.fd, &m, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += size_t(n);
            set_deadline(c, ptv::now_ns() + timeout_ns_);  // progress: slow is not dead
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return false;
        finish(c);  // EPIPE, ECONNRESET: the client left
        return false;
    }
    env_.counters.requests++;
    c.head.clear();
    c.body.reset();
    if (c.keep_alive) {
        c.parser.reset();
        c.state = Connection::State::Reading;
        set_deadline(c, ptv::now_ns() + timeout_ns_);
        return true;
    }
    if (!c.linger) {
        finish(c);
        return false;
    }
    // Half-close and drain what the client still sends, so that closing
    // with unread bytes does not reset the connection under the reply.
    shutdown(c.fd, SHUT_WR);
    c.state = Connection::State::Lingering;
    set_deadline(c, ptv::now_ns() + kLingerNs);
    return true;
}

void EventLoop::drain(Connection& c) {
    for (;;) {
        const ssize_t n = recv(c.fd, buf_, kChunk, 0);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        if (n < 0 && errno == EAGAIN) return;
        finish(c);
        return;
    }
}

// Connections past their deadline: idle too long, a request too slow (408),
// a reply that made no progress, a linger that is over.
void EventLoop::expire(uint64_t now) {
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        Connection* c = find(deadlines_.begin()->second);
        if (!c) {
            deadlines_.erase(deadlines_.begin());
            continue;
        }
        if (c->state == Connection::State::Reading && c->parser.started()) {
            env_.counters.timeouts++;
            const http::Reply reply = http::error_reply(408);
            const std::string bytes = http::render_head(reply, {}, false) + *reply.body;
            (void)!send(c->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        finish(*c);
    }
}

void EventLoop::finish(Connection& c) {
    set_deadline(c, 0);
    close(c.fd);  // also takes it out of the epoll set
    connections_.erase(c.id);
}

}  // namespace

void FiniteStateMachine::serve() {
    EventLoop(env_).run();
}

}  // namespace servers_lab
