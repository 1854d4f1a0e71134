// The load generator (see load.hpp): one thread, epoll, non-blocking
// connections, libhttp-parser for the replies.
#include "ptv/servers/load/load.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <deque>
#include <memory>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/percentile.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/common/table.hpp"
#include "ptv/servers/http/request.hpp"

namespace ptv::servers::load {

Url parse_url(const std::string& text) {
    const std::string scheme = "http://";
    auto bad = [&](const std::string& why) {
        return UsageError(fmt::format("URL {}: {}", text, why));
    };
    if (text.rfind(scheme, 0) != 0)
        throw bad("give an http:// URL such as http://127.0.0.1:8080/index.html");
    std::string rest = text.substr(scheme.size());
    Url u;
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    u.path = slash == std::string::npos ? "/" : rest.substr(slash);
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
        std::string port = authority.substr(colon + 1);
        int p = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 ||
            p > 65535)
            throw bad("the port must be a number from 1 to 65535");
        u.port = p;
    }
    in_addr a{};
    if (u.host == "localhost")
        a.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, u.host.c_str(), &a) != 1)
        throw bad("the host must be an IPv4 address or localhost (no name lookups)");
    u.address = a.s_addr;
    return u;
}

void validate(const LoadOptions& o) {
    if (o.clients < 1 || o.clients > 10000)
        throw UsageError(fmt::format("--clients {}: give 1 to 10000", o.clients));
    if (!(o.duration_s >= 0.1 && o.duration_s <= 3600))
        throw UsageError(fmt::format("--duration {}: give 0.1 to 3600 seconds", o.duration_s));
    if (!(o.rate == 0 || (o.rate >= 1 && o.rate <= 1e6)))
        throw UsageError(fmt::format("--rate {}: give 1 to 1000000 requests per second", o.rate));
    if (!(o.timeout_s >= 0.01 && o.timeout_s <= 600))
        throw UsageError(fmt::format("--timeout {}: give 0.01 to 600 seconds", o.timeout_s));
}

double LoadResult::latency_ms(double p) const {
    return double(percentile(latencies_ns, p)) / 1e6;
}

double LoadResult::mean_latency_ms() const {
    if (latencies_ns.empty()) return 0;
    long double sum = 0;
    for (auto v : latencies_ns) sum += v;
    return double(sum / latencies_ns.size() / 1e6);
}

uint64_t LoadResult::non_2xx() const {
    uint64_t n = 0;
    for (auto [status, count] : statuses)
        if (status < 200 || status > 299) n += count;
    return n;
}

namespace {

constexpr uint64_t kRetryNs = 10'000'000;  // after an error: no hot loop against a dead server

struct Client {
    enum class State : uint8_t { Closed, Connecting, Sending, Receiving, Idle };
    int fd = -1;
    State state = State::Closed;
    bool busy = false;    // a request is under way
    bool reused = false;  // the connection served a request before this one
    bool got_bytes = false;
    http::ResponseParser parser;
    const std::string* request = nullptr;
    size_t sent = 0;
    uint64_t due_ns = 0, deadline_ns = 0, retry_ns = 0;
    SplitMix64 rng{0};
};

class Engine {
  public:
    explicit Engine(const LoadOptions& o) : o_(o), clients_(size_t(o.clients)) {
        const std::vector<std::string> paths =
            o.paths.empty() ? std::vector<std::string>{o.url.path} : o.paths;
        for (const auto& p : paths)
            requests_.push_back(
                fmt::format("GET {} HTTP/1.1\r\nHost: {}:{}\r\n\r\n", p, o.url.host, o.url.port));
        for (size_t i = 0; i < clients_.size(); ++i) {
            clients_[i].rng = SplitMix64(o.seed * 1000003 + i);
            clients_[i].parser.discard_body(true);
        }
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        addr_.sin_family = AF_INET;
        addr_.sin_port = htons(uint16_t(o.url.port));
        addr_.sin_addr.s_addr = o.url.address;
        buf_.reset(new char[65536]);
    }
    ~Engine() {
        for (auto& c : clients_)
            if (c.fd >= 0) close(c.fd);
        close(ep_);
    }

    LoadResult run(const std::function<void(double, uint64_t)>& tick);

  private:
    void begin(size_t i, uint64_t due);
    void connect_client(size_t i);
    void try_send(size_t i);
    void try_recv(size_t i);
    void complete(size_t i);
    void fail(size_t i, bool count);
    void close_fd(Client& c) {
        if (c.fd >= 0) close(c.fd);
        c.fd = -1;
        c.state = Client::State::Closed;
    }
    void released(size_t i);  // the client can take the next request

    const LoadOptions& o_;
    std::vector<Client> clients_;
    std::vector<std::string> requests_;
    int ep_;
    sockaddr_in addr_{};
    std::unique_ptr<char[]> buf_;
    LoadResult r_;
    uint64_t now_ = 0, end_ = 0;
    bool open_loop_ = false;
    std::deque<uint64_t> pending_;  // open loop: due times waiting for a client
    std::vector<size_t> free_;      // open loop: clients without a request
    std::vector<size_t> retry_;     // clients waiting out kRetryNs after an error
    std::vector<size_t> ready_;     // closed loop: clients to start on their next request
};

LoadResult Engine::run(const std::function<void(double, uint64_t)>& tick) {
    open_loop_ = o_.rate > 0;
    const uint64_t start = now_ns();
    now_ = start;
    end_ = start + uint64_t(o_.duration_s * 1e9);
    const double interval_ns = open_loop_ ? 1e9 / o_.rate : 0;
    uint64_t issued = 0;  // open loop: requests made due so far
    uint64_t next_sweep = start, next_tick = start;

    if (open_loop_) {
        for (size_t i = 0; i < clients_.size(); ++i) free_.push_back(clients_.size() - 1 - i);
    } else {
        for (size_t i = 0; i < clients_.size(); ++i) begin(i, now_);
    }
    std::vector<epoll_event> events(1024);
    while ((now_ = now_ns()) < end_) {
        if (o_.cancelled && o_.cancelled()) break;
        // Closed loop: the next request of every client that has its reply.
        std::vector<size_t> ready;
        ready.swap(ready_);
        for (size_t i : ready) begin(i, now_);
        // Clients back from an error.
        for (size_t k = 0; k < retry_.size();) {
            size_t i = retry_[k];
            if (clients_[i].retry_ns > now_) {
                ++k;
                continue;
            }
            retry_[k] = retry_.back();
            retry_.pop_back();
            if (open_loop_)
                free_.push_back(i);
            else
                begin(i, now_);
        }
        uint64_t next_due = UINT64_MAX;
        if (open_loop_) {
            for (;;) {
                uint64_t due = start + uint64_t(double(issued) * interval_ns);
                if (due > now_ || due >= end_) {
                    next_due = due;
                    break;
                }
                pending_.push_back(due);
                ++issued;
            }
            while (!pending_.empty() && !free_.empty()) {
                size_t i = free_.back();
                free_.pop_back();
                begin(i, pending_.front());
                pending_.pop_front();
            }
        }
        if (now_ >= next_sweep) {  // requests that took too long
            for (size_t i = 0; i < clients_.size(); ++i)
                if (clients_[i].busy && clients_[i].deadline_ns <= now_) fail(i, true);
            next_sweep = now_ + 10'000'000;
        }
        if (tick && now_ >= next_tick) {
            tick(double(now_ - start) / double(end_ - start), r_.completed);
            next_tick = now_ + 100'000'000;
        }
        uint64_t wake = std::min({end_, next_sweep, next_due, tick ? next_tick : UINT64_MAX});
        if (!retry_.empty()) wake = std::min(wake, now_ + kRetryNs);
        if (!ready_.empty()) wake = now_;
        // Nanosecond timeouts (epoll_pwait2, Linux 5.11): an open-loop request
        // due now must not leave a millisecond late.
        const uint64_t wait_ns = wake <= now_ ? 0 : wake - now_;
        timespec ts{time_t(wait_ns / 1'000'000'000), long(wait_ns % 1'000'000'000)};
        int n = epoll_pwait2(ep_, events.data(), int(events.size()), &ts, nullptr);
        if (n < 0 && errno == ENOSYS)
            n = epoll_wait(ep_, events.data(), int(events.size()),
                           int((wait_ns + 999'999) / 1'000'000));
        now_ = now_ns();
        for (int k = 0; k < n; ++k) {
            size_t i = events[size_t(k)].data.u32;
            Client& c = clients_[i];
            uint32_t ev = events[size_t(k)].events;
            switch (c.state) {
                case Client::State::Connecting: {
                    int err = 0;
                    socklen_t len = sizeof err;
                    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err != 0) {
                        fail(i, true);
                        break;
                    }
                    if (!(ev & EPOLLOUT)) break;
                    c.state = Client::State::Sending;
                    try_send(i);
                    break;
                }
                case Client::State::Sending:
                    if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) try_send(i);
                    break;
                case Client::State::Receiving:
                    try_recv(i);
                    break;
                case Client::State::Idle:
                    // The server closed an idle keep-alive connection.
                    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                        ssize_t got = recv(c.fd, buf_.get(), 1, MSG_DONTWAIT);
                        if (got <= 0 && !(got < 0 && errno == EAGAIN)) close_fd(c);
                    }
                    break;
                case Client::State::Closed:
                    break;
            }
        }
    }
    if (tick) tick(1, r_.completed);
    r_.url = fmt::format("http://{}:{}{}", o_.url.host, o_.url.port,
                         o_.paths.empty() ? o_.url.path : "/...");
    r_.clients = o_.clients;
    r_.rate = o_.rate;
    r_.duration_s = double(now_ - start) / 1e9;
    std::sort(r_.latencies_ns.begin(), r_.latencies_ns.end());
    return std::move(r_);
}

void Engine::begin(size_t i, uint64_t due) {
    Client& c = clients_[i];
    c.busy = true;
    c.due_ns = due;
    c.deadline_ns = now_ + uint64_t(o_.timeout_s * 1e9);
    c.request = &requests_[requests_.size() == 1 ? 0 : c.rng.below(requests_.size())];
    c.sent = 0;
    c.got_bytes = false;
    c.parser.reset();
    if (c.fd < 0) {
        connect_client(i);
        return;
    }
    c.reused = true;
    c.state = Client::State::Sending;
    try_send(i);
}

void Engine::connect_client(size_t i) {
    Client& c = clients_[i];
    c.reused = false;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(i, true);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = uint32_t(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    ++r_.connections;
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_) == 0) {
        c.state = Client::State::Sending;
        try_send(i);
    } else if (errno == EINPROGRESS) {
        c.state = Client::State::Connecting;
    } else {
        fail(i, true);
    }
}

void Engine::try_send(size_t i) {
    Client& c = clients_[i];
    const std::string& req = *c.request;
    while (c.sent < req.size()) {
        ssize_t n = send(c.fd, req.data() + c.sent, req.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        return fail(i, !c.reused);
    }
    c.state = Client::State::Receiving;
    try_recv(i);
}

void Engine::try_recv(size_t i) {
    Client& c = clients_[i];
    for (;;) {
        ssize_t n = recv(c.fd, buf_.get(), 65536, 0);
        if (n > 0) {
            c.got_bytes = true;
            r_.bytes += uint64_t(n);
            auto out = c.parser.feed({buf_.get(), size_t(n)});
            if (out.status == http::ResponseParser::Status::Complete) return complete(i);
            if (out.status == http::ResponseParser::Status::Error) return fail(i, true);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n == 0 && c.parser.finish() == http::ResponseParser::Status::Complete) {
            close_fd(c);
            return complete(i);
        }
        // Reset or cut short. On a reused connection before any byte of the
        // reply, the server had just closed it for being idle: try again on
        // a new connection, as browsers do, without counting an error.
        return fail(i, c.got_bytes || !c.reused);
    }
}

void Engine::complete(size_t i) {
    Client& c = clients_[i];
    ++r_.completed;
    ++r_.statuses[c.parser.response().status];
    r_.latencies_ns.push_back(now_ns() - c.due_ns);
    if (!c.parser.response().keep_alive) close_fd(c);
    c.busy = false;
    if (c.fd >= 0) c.state = Client::State::Idle;
    released(i);
}

void Engine::released(size_t i) {
    (open_loop_ ? free_ : ready_).push_back(i);
}

void Engine::fail(size_t i, bool count) {
    Client& c = clients_[i];
    close_fd(c);
    if (!count && c.busy) {  // retry the same request at once, on a new connection
        c.sent = 0;
        c.got_bytes = false;
        c.parser.reset();
        connect_client(i);
        return;
    }
    ++r_.errors;
    c.busy = false;
    c.retry_ns = now_ns() + kRetryNs;
    retry_.push_back(i);
}

}  // namespace

LoadResult run_load(const LoadOptions& o, const std::function<void(double, uint64_t)>& tick) {
    validate(o);
    return Engine(o).run(tick);
}

std::string render(const LoadResult& r) {
    std::string s = fmt::format(
        "{}: {} client{}, {}, {:.1f} s\n", r.url, r.clients, r.clients == 1 ? "" : "s",
        r.rate > 0 ? fmt::format("open loop at {:g} requests/s", r.rate) : "closed loop",
        r.duration_s);
    Table t({"", "value"});
    t.right_align({1});
    t.row({"requests", thousands(r.completed)});
    t.row({"throughput", thousands(uint64_t(r.throughput() + 0.5)) + " requests/s"});
    t.row({"errors", thousands(r.errors)});
    t.row({"non-2xx replies", thousands(r.non_2xx())});
    t.row({"connections opened", thousands(r.connections)});
    t.rule();
    t.row({"latency p50", human_ns(r.latency_ms(50) * 1e6)});
    t.row({"latency p90", human_ns(r.latency_ms(90) * 1e6)});
    t.row({"latency p99", human_ns(r.latency_ms(99) * 1e6)});
    t.row({"latency p99.9", human_ns(r.latency_ms(99.9) * 1e6)});
    t.row({"latency max", human_ns(r.latency_ms(100) * 1e6)});
    t.row({"latency mean", human_ns(r.mean_latency_ms() * 1e6)});
    return s + t.render();
}

nlohmann::json to_json(const LoadResult& r) {
    nlohmann::json statuses = nlohmann::json::object();
    for (auto [status, count] : r.statuses) statuses[std::to_string(status)] = count;
    return {{"url", r.url},
            {"clients", r.clients},
            {"mode", r.rate > 0 ? "open" : "closed"},
            {"rate", r.rate},
            {"duration_s", r.duration_s},
            {"requests", r.completed},
            {"throughput_rps", r.throughput()},
            {"errors", r.errors},
            {"non_2xx", r.non_2xx()},
            {"connections", r.connections},
            {"bytes", r.bytes},
            {"statuses", statuses},
            {"latency_ms",
             {{"p50", r.latency_ms(50)},
              {"p90", r.latency_ms(90)},
              {"p99", r.latency_ms(99)},
              {"p99.9", r.latency_ms(99.9)},
              {"max", r.latency_ms(100)},
              {"mean", r.mean_latency_ms()}}}};
}

}  // namespace ptv::servers::load
