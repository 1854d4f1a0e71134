// The front-end switch's event loop (see front_end_switch.hpp): accept a
// client, choose a server, connect, relay, close; check the servers on a
// timer. Everything happens on the one thread that calls run().
#include "ptv/servers/switch/front_end_switch.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <system_error>
#include <unordered_map>

#include "health_check.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/arch/stop.hpp"
#include "relay.hpp"

namespace ptv::servers::frontend {

namespace {

// A back end's counters: written by the loop, read by stats() on any thread.
struct Counters {
    std::atomic<uint64_t> open{0}, connections{0}, to_backend{0}, to_client{0}, marked_down{0},
        failed_connects{0};
    std::atomic<bool> up{true};
};

// A connect that failed for one of these says the server (or the way to
// it) is down; anything else (no ports or memory left here) is the switch's
// own trouble and takes no server out of rotation.
bool server_at_fault(int err) {
    switch (err) {
        case ECONNREFUSED:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EHOSTDOWN:
        case ENETDOWN:
        case ECONNRESET:
        case ECONNABORTED:
            return true;
        default:
            return false;
    }
}

constexpr uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr size_t kScratchBytes = 64 * 1024;
constexpr int kAcceptsPerTurn = 64;  // then the relays get a turn

}  // namespace

struct FrontEndSwitch::Impl {
    SwitchOptions o;
    std::unique_ptr<Balancer> balancer;
    int listen_fd = -1;
    arch::StopSignal stop;
    std::unique_ptr<Counters[]> counters;
    std::atomic<uint64_t> accepted{0}, refused{0};
    std::function<void(const HealthChange&)> on_health;
    std::function<void(const SwitchStats&)> on_report;
    std::chrono::milliseconds report_every{0};

    // The loop's own state.
    std::vector<BackendView> views;
    std::vector<uint64_t> down_since_ns;
    int epoll = -1, timer = -1;
    Endpoint listener_end{Endpoint::Kind::Listener}, stop_end{Endpoint::Kind::Stop},
        timer_end{Endpoint::Kind::Timer};
    std::optional<arch::Acceptor> acceptor;
    bool accept_paused = false;
    std::optional<HealthChecks> checks;
    std::vector<HealthChecks::Result> results;
    std::unordered_map<uint64_t, std::unique_ptr<Relay>> relays;
    // Relays closed during this batch of events: later events of the same
    // batch may still point at them.
    std::vector<std::unique_ptr<Relay>> closed;
    uint64_t next_serial = 1;
    // Connects in progress, in the order they started: every one has the
    // same timeout, so the first is the first to expire.
    struct Deadline {
        uint64_t serial;
        uint32_t attempt;
        uint64_t at_ns;
    };
    std::deque<Deadline> deadlines;
    std::unique_ptr<char[]> scratch = std::make_unique<char[]>(kScratchBytes);
    uint64_t next_report_ns = 0;

    void add(int fd, uint32_t events, Endpoint* end) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = end;
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }

    void mark_down(size_t i, const std::string& reason) {
        if (!views[i].up) return;
        views[i].up = false;
        counters[i].up = false;
        counters[i].marked_down.fetch_add(1, std::memory_order_relaxed);
        down_since_ns[i] = now_ns();
        if (on_health) on_health({i, o.backends[i], false, reason});
    }

    void mark_up(size_t i) {
        if (views[i].up) return;
        views[i].up = true;
        counters[i].up = true;
        if (on_health) on_health({i, o.backends[i], true, ""});
    }

    void opened(size_t i) {
        ++views[i].open;
        counters[i].open.fetch_add(1, std::memory_order_relaxed);
    }

    // Out of the epoll set first, then closed: a process forked meanwhile
    // (a program that starts servers beside its switch) holds a copy of
    // the descriptor until it execs, and epoll forgets a socket only when
    // every descriptor of it is closed; its events would come after the
    // relay is gone.
    void forget(int fd) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
    }

    void released(Relay& r) {
        if (r.server < 0) return;
        forget(r.server);
        r.server = -1;
        --views[r.backend].open;
        counters[r.backend].open.fetch_sub(1, std::memory_order_relaxed);
    }

    void close_relay(Relay& r) {
        released(r);
        if (r.client >= 0) forget(r.client);
        r.client = -1;
        auto it = relays.find(r.serial);
        closed.push_back(std::move(it->second));
        relays.erase(it);
    }

    // A connect to server i failed with err: take it out of rotation if the
    // failure was its own.
    void connect_failed(size_t i, int err) {
        counters[i].failed_connects.fetch_add(1, std::memory_order_relaxed);
        if (server_at_fault(err)) mark_down(i, std::strerror(err));
    }

    // Chooses a server for r and connects to it; a server that refuses at
    // once is marked down and the next one tried, until one takes the
    // connection or none is up (then the client's connection is closed).
    void connect_server(Relay& r) {
        for (;;) {
            const int chosen = balancer->pick(views, r.client_ip);
            if (chosen < 0 || size_t(chosen) >= views.size() || !views[size_t(chosen)].up) {
                refused.fetch_add(1, std::memory_order_relaxed);
                close_relay(r);
                return;
            }
            const size_t i = size_t(chosen);
            const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                close_relay(r);
                return;
            }
            int one = 1;  // requests and replies go on as they come: no coalescing delay
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ++r.attempt;
            const sockaddr_in a = o.backends[i].sockaddr();
            const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
            if (rc != 0 && errno != EINPROGRESS) {
                const int err = errno;
                close(fd);
                connect_failed(i, err);
                if (server_at_fault(err)) continue;
                close_relay(r);
                return;
            }
            r.server = fd;
            r.backend = i;
            r.up.bytes = &counters[i].to_backend;
            r.down.bytes = &counters[i].to_client;
            opened(i);
            add(fd, kRelayEvents, &r.server_end);
            if (rc == 0) {
                connected(r);
                return;
            }
            r.state = Relay::State::Connecting;
            deadlines.push_back(
                {r.serial, r.attempt, now_ns() + uint64_t(o.connect_timeout.count()) * 1000000});
            return;
        }
    }

    void server_failed(Relay& r, int err) {
        const size_t i = r.backend;
        released(r);
        connect_failed(i, err);
        if (server_at_fault(err))
            connect_server(r);
        else
            close_relay(r);
    }

    void connected(Relay& r) {
        r.state = Relay::State::Relaying;
        counters[r.backend].connections.fetch_add(1, std::memory_order_relaxed);
        // The client may have spoken (and even half-closed) while the server
        // was being connected: read both sides to the end of what is there.
        std::span<char> buf(scratch.get(), kScratchBytes);
        if (pump(r.up, r.client, r.server, buf, true) == PumpResult::Failed ||
            pump(r.down, r.server, r.client, buf, true) == PumpResult::Failed || r.finished())
            close_relay(r);
    }

    void relay_event(const Endpoint& end, uint32_t events) {
        Relay& r = *end.relay;
        if (r.client < 0) return;  // closed earlier in this batch
        const bool on_server = end.kind == Endpoint::Kind::Server;
        if (r.state == Relay::State::Connecting) {
            if (!on_server) return;  // the client is read once the server has answered
            // The event may be of an earlier attempt's socket (reported in
            // this batch before it was replaced): ask the socket itself.
            pollfd p{r.server, POLLOUT, 0};
            if (poll(&p, 1, 0) != 1) return;
            if (p.revents & (POLLERR | POLLHUP)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(r.server, SOL_SOCKET, SO_ERROR, &err, &len);
                server_failed(r, err != 0 ? err : ECONNRESET);
                return;
            }
            connected(r);
            return;
        }
        const int self = on_server ? r.server : r.client;
        const int other = on_server ? r.client : r.server;
        Flow& outgoing = on_server ? r.down : r.up;  // read from self
        Flow& incoming = on_server ? r.up : r.down;  // written to self
        std::span<char> buf(scratch.get(), kScratchBytes);
        PumpResult result = PumpResult::Ok;
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            result =
                pump(outgoing, self, other, buf, (events & ~uint32_t(EPOLLIN | EPOLLOUT)) != 0);
        // Writable again: what was held back for self can go, and then its
        // source is read again.
        if (result == PumpResult::Ok && (events & EPOLLOUT) &&
            incoming.pending_size > incoming.pending_at)
            result = pump(incoming, other, self, buf, true);
        if (result == PumpResult::Failed || r.finished()) close_relay(r);
    }

    void accept_clients() {
        for (int k = 0; k < kAcceptsPerTurn; ++k) {
            const arch::Acceptor::Result got = acceptor->accept();
            switch (got.kind) {
                case arch::Acceptor::Kind::None:
                    return;
                case arch::Acceptor::Kind::Dropped:
                    continue;
                case arch::Acceptor::Kind::Backoff:
                    // Out of descriptors with no spare: stop watching the
                    // listening socket until the next tick.
                    epoll_ctl(epoll, EPOLL_CTL_DEL, listen_fd, nullptr);
                    accept_paused = true;
                    return;
                case arch::Acceptor::Kind::Accepted:
                    break;
            }
            accepted.fetch_add(1, std::memory_order_relaxed);
            auto r = std::make_unique<Relay>();
            r->serial = next_serial++;
            r->client = got.fd;
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            if (getpeername(got.fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
                r->client_ip = ntohl(peer.sin_addr.s_addr);
            add(got.fd, kRelayEvents, &r->client_end);
            Relay& relay = *r;
            relays.emplace(relay.serial, std::move(r));
            connect_server(relay);
        }
    }

    void health(const HealthChecks::Result& r) {
        if (r.stale) return;
        if (!r.ok)
            mark_down(r.backend, "health check: " + r.reason);
        else if (!views[r.backend].up && r.started_ns > down_since_ns[r.backend])
            mark_up(r.backend);  // (a check begun before the failure says nothing)
    }

    void tick() {
        uint64_t expirations = 0;
        (void)!read(timer, &expirations, sizeof expirations);
        const uint64_t now = now_ns();
        results.clear();
        checks->round(now, results);
        for (const auto& r : results) health(r);
        while (!deadlines.empty() && deadlines.front().at_ns <= now) {
            const Deadline d = deadlines.front();
            deadlines.pop_front();
            auto it = relays.find(d.serial);
            if (it != relays.end() && it->second->state == Relay::State::Connecting &&
                it->second->attempt == d.attempt)
                server_failed(*it->second, ETIMEDOUT);
        }
        if (accept_paused) {
            add(listen_fd, EPOLLIN, &listener_end);
            accept_paused = false;
        }
        if (on_report && now >= next_report_ns) {
            next_report_ns = now + uint64_t(report_every.count()) * 1000000;
            on_report(snapshot());
        }
    }

    SwitchStats snapshot() const {
        SwitchStats s;
        s.accepted = accepted.load(std::memory_order_relaxed);
        s.refused = refused.load(std::memory_order_relaxed);
        for (size_t i = 0; i < o.backends.size(); ++i) {
            const Counters& c = counters[i];
            s.backends.push_back({o.backends[i], c.up.load(), c.open.load(), c.connections.load(),
                                  c.to_backend.load(), c.to_client.load(), c.marked_down.load(),
                                  c.failed_connects.load()});
        }
        return s;
    }

    void loop() {
        epoll = epoll_create1(EPOLL_CLOEXEC);
        timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (epoll < 0 || timer < 0)
            throw std::system_error(errno, std::generic_category(), "epoll or timerfd");
        const long long ns = std::chrono::nanoseconds(o.check_interval).count();
        itimerspec period{};
        period.it_interval = {time_t(ns / 1000000000), long(ns % 1000000000)};
        period.it_value = period.it_interval;
        timerfd_settime(timer, 0, &period, nullptr);
        acceptor.emplace(listen_fd);
        checks.emplace(epoll, o.backends);
        add(listen_fd, EPOLLIN, &listener_end);
        add(stop.fd(), EPOLLIN, &stop_end);
        add(timer, EPOLLIN, &timer_end);
        // A first round of checks at once: a server that is down from the
        // start is out of rotation before most clients arrive.
        checks->round(now_ns(), results);
        for (const auto& r : results) health(r);

        std::vector<epoll_event> events(256);
        for (bool stopping = false; !stopping;) {
            const int n = epoll_wait(epoll, events.data(), int(events.size()), -1);
            if (n < 0 && errno != EINTR)
                throw std::system_error(errno, std::generic_category(), "epoll_wait");
            for (int e = 0; e < n; ++e) {
                const auto* end = static_cast<const Endpoint*>(events[size_t(e)].data.ptr);
                const uint32_t what = events[size_t(e)].events;
                switch (end->kind) {
                    case Endpoint::Kind::Listener:
                        accept_clients();
                        break;
                    case Endpoint::Kind::Stop:
                        stopping = true;
                        break;
                    case Endpoint::Kind::Timer:
                        tick();
                        break;
                    case Endpoint::Kind::Check:
                        health(checks->answered(end->backend));
                        break;
                    case Endpoint::Kind::Client:
                    case Endpoint::Kind::Server:
                        relay_event(*end, what);
                        break;
                }
            }
            closed.clear();
        }
    }

    void close_everything() {
        while (!relays.empty()) close_relay(*relays.begin()->second);
        closed.clear();
        deadlines.clear();
        checks.reset();
        acceptor.reset();
        if (timer >= 0) close(timer);
        if (epoll >= 0) close(epoll);
        timer = epoll = -1;
    }
};

FrontEndSwitch::FrontEndSwitch(SwitchOptions options, std::unique_ptr<Balancer> balancer)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    if (options.backends.empty())
        throw UsageError("no back end to switch to; give at least one (--backend ADDR:PORT)");
    if (options.check_interval.count() < 1 || options.connect_timeout.count() < 1)
        throw UsageError("the check interval and the connect timeout must be at least 1 ms");
    for (const Address& b : options.backends)
        if (b.port == options.listen.port && (b.ip == options.listen.ip || options.listen.ip == 0))
            throw UsageError(fmt::format(
                "--backend {}: that is where the switch itself listens; give a server's address",
                b.text()));
    s.o = std::move(options);
    s.balancer = balancer ? std::move(balancer) : make_balancer(s.o.policy);
    s.counters = std::make_unique<Counters[]>(s.o.backends.size());
    for (const Address& a : s.o.backends) s.views.push_back({a, true, 0});
    s.down_since_ns.assign(s.o.backends.size(), 0);
    s.listen_fd = listen_socket(s.o.listen, "--listen");
    // Programs that run the switch start servers beside it: they need not
    // inherit its stop signal.
    fcntl(s.stop.fd(), F_SETFD, FD_CLOEXEC);
}

FrontEndSwitch::~FrontEndSwitch() {
    impl_->close_everything();
    if (impl_->listen_fd >= 0) close(impl_->listen_fd);
}

int FrontEndSwitch::port() const {
    return arch::bound_port(impl_->listen_fd);
}

std::string_view FrontEndSwitch::policy_name() const {
    return impl_->balancer->name();
}

void FrontEndSwitch::on_health_change(std::function<void(const HealthChange&)> f) {
    impl_->on_health = std::move(f);
}

void FrontEndSwitch::on_report(std::chrono::milliseconds every,
                               std::function<void(const SwitchStats&)> f) {
    impl_->report_every = every;
    impl_->on_report = std::move(f);
}

void FrontEndSwitch::run() {
    try {
        impl_->loop();
    } catch (...) {
        impl_->close_everything();
        throw;
    }
    impl_->close_everything();
}

void FrontEndSwitch::stop() {
    impl_->stop.request();
}

void FrontEndSwitch::stop_on_signals() {
    impl_->stop.catch_signals();
}

SwitchStats FrontEndSwitch::stats() const {
    return impl_->snapshot();
}

}  // namespace ptv::servers::frontend
