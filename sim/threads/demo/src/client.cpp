// `ptv threads demo client`: hiding network latency with threads and with
// fibers (ch. 3.2, "Multithreaded clients"). See client.hpp.
#include "ptv/threads/demo/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/fiber/all.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::threads::demo {

void validate(const ClientOptions& o) {
    if (o.documents < 1 || o.documents > 256)
        throw UsageError(fmt::format(
            "--documents {} is out of range; give 1 to 256 documents to fetch", o.documents));
    if (o.latency_ms < 0 || o.latency_ms > 5000)
        throw UsageError(fmt::format("--latency-ms {} is out of range; give 0 to 5000 milliseconds",
                                     o.latency_ms));
    if (o.document_bytes < 1 || o.document_bytes > (1 << 20))
        throw UsageError(fmt::format("a document of {} bytes is out of range; give 1 to 1 MiB",
                                     o.document_bytes));
}

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// A file descriptor closed when it goes out of scope: nothing left behind.
struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd, o.fd);
        return *this;
    }
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

char document_byte(int document) {
    return char('a' + document % 26);
}

// The server: one acceptor thread, and a thread per connection that waits
// the latency before it answers (a thread-per-request server, ch. 3.3), so
// that the server itself never serialises the clients' requests.
class LatencyServer {
  public:
    LatencyServer(int latency_ms, int document_bytes)
        : latency_ms_(latency_ms), document_bytes_(document_bytes) {
        listen_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (listen_.fd < 0) fail("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;  // an ephemeral port
        if (bind(listen_.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
        if (listen(listen_.fd, SOMAXCONN) != 0) fail("listen");
        socklen_t len = sizeof addr;
        if (getsockname(listen_.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            fail("getsockname");
        port_ = ntohs(addr.sin_port);
        wake_ = Fd(eventfd(0, EFD_CLOEXEC));
        if (wake_.fd < 0) fail("eventfd");
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~LatencyServer() {
        uint64_t one = 1;
        if (write(wake_.fd, &one, sizeof one) < 0) {
        }
        acceptor_.join();
    }
    LatencyServer(const LatencyServer&) = delete;
    LatencyServer& operator=(const LatencyServer&) = delete;

    uint16_t port() const { return port_; }
    std::vector<ServedRequest> served() {
        std::lock_guard lk(mtx_);
        return served_;
    }

  private:
    void accept_loop() {
        std::vector<std::thread> connections;
        for (;;) {
            pollfd p[2] = {{listen_.fd, POLLIN, 0}, {wake_.fd, POLLIN, 0}};
            if (poll(p, 2, -1) < 0 && errno != EINTR) break;
            if (p[1].revents) break;  // shutting down
            if (!(p[0].revents & POLLIN)) continue;
            int c = accept4(listen_.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            connections.emplace_back([this, c] { serve(Fd(c)); });
        }
        for (auto& t : connections) t.join();
    }

    void serve(Fd c) {
        // A client that never sends does not hold the server forever.
        timeval tv{5, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string request;
        char buf[64];
        while (request.find('\n') == std::string::npos && request.size() < 64) {
            ssize_t n = recv(c.fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            request.append(buf, size_t(n));
        }
        ServedRequest s;
        s.request_ns = now_ns();
        if (std::sscanf(request.c_str(), "GET %d", &s.document) != 1) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms_));  // the "network"
        s.reply_ns = now_ns();
        std::string doc(size_t(document_bytes_), document_byte(s.document));
        for (size_t off = 0; off < doc.size();) {
            ssize_t n = send(c.fd, doc.data() + off, doc.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;
            off += size_t(n);
        }
        std::lock_guard lk(mtx_);
        served_.push_back(s);
    }

    int latency_ms_, document_bytes_;
    Fd listen_, wake_;
    uint16_t port_ = 0;
    std::thread acceptor_;
    std::mutex mtx_;
    std::vector<ServedRequest> served_;
};

sockaddr_in server_address(uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return addr;
}

void check_document(const Fetch& f, const std::string& body, size_t expected) {
    if (body.size() != expected ||
        body.find_first_not_of(document_byte(f.document)) != std::string::npos)
        throw std::runtime_error(fmt::format("document {}: got {} bytes, expected {}", f.document,
                                             body.size(), expected));
}

// Blocking sockets: the calling kernel thread sleeps in connect() and recv()
// until the server answers. Fine for a kernel thread: the kernel runs the
// other threads meanwhile.
Fetch fetch_blocking(uint16_t port, int document, size_t expected) {
    Fetch f;
    f.document = document;
    f.start_ns = now_ns();
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) fail("socket");
    timeval tv{10, 0};
    setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto addr = server_address(port);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
    std::string request = fmt::format("GET {}\n", document);
    if (send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size()))
        fail("send");
    f.sent_ns = now_ns();
    std::string body;
    char buf[16384];
    for (;;) {
        ssize_t n = recv(s.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("recv");
        if (n == 0) break;
        if (body.empty()) f.first_byte_ns = now_ns();
        body.append(buf, size_t(n));
    }
    f.done_ns = now_ns();
    f.bytes = body.size();
    check_document(f, body, expected);
    return f;
}

// Fiber-aware waiting: poll without blocking; if not ready, let the fiber
// scheduler run the other fibers for a while (sleep_for) and look again.
// Only this fiber waits; the kernel thread never blocks in the kernel.
void wait_for_fd(int fd, short events, uint64_t deadline_ns) {
    for (;;) {
        pollfd p{fd, events, 0};
        int r = poll(&p, 1, 0);
        if (r > 0) return;
        if (r < 0 && errno != EINTR) fail("poll");
        if (now_ns() > deadline_ns) throw std::runtime_error("timed out waiting for the server");
        boost::this_fiber::sleep_for(std::chrono::microseconds(100));
    }
}

// Non-blocking sockets for fibers: connect() returns EINPROGRESS and recv()
// EAGAIN instead of blocking the kernel thread; the fiber then waits in
// wait_for_fd. A plain blocking recv() here would put the one kernel thread
// to sleep, and with it every fiber: the fetches would not overlap.
Fetch fetch_fiber(uint16_t port, int document, size_t expected, uint64_t deadline_ns) {
    Fetch f;
    f.document = document;
    f.start_ns = now_ns();
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (s.fd < 0) fail("socket");
    auto addr = server_address(port);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS) fail("connect");
        wait_for_fd(s.fd, POLLOUT, deadline_ns);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            errno = err;
            fail("connect");
        }
    }
    std::string request = fmt::format("GET {}\n", document);
    for (size_t off = 0; off < request.size();) {
        ssize_t n = send(s.fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            wait_for_fd(s.fd, POLLOUT, deadline_ns);
            continue;
        }
        if (n < 0) fail("send");
        off += size_t(n);
    }
    f.sent_ns = now_ns();
    std::string body;
    char buf[16384];
    for (;;) {
        ssize_t n = recv(s.fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            wait_for_fd(s.fd, POLLIN, deadline_ns);
            continue;
        }
        if (n < 0) fail("recv");
        if (n == 0) break;
        if (body.empty()) f.first_byte_ns = now_ns();
        body.append(buf, size_t(n));
    }
    f.done_ns = now_ns();
    f.bytes = body.size();
    check_document(f, body, expected);
    return f;
}

ClientRun make_run(const char* name, int kernel_threads, int concurrent) {
    ClientRun run;
    run.name = name;
    run.kernel_threads = kernel_threads;
    run.concurrent = concurrent;
    run.start_ns = now_ns();
    return run;
}

void finish(ClientRun& run) {
    run.end_ns = now_ns();
    run.total_ms = double(run.end_ns - run.start_ns) / 1e6;
}

}  // namespace

ClientResult run_client_demo(const ClientOptions& o) {
    validate(o);
    ClientResult result;
    result.options = o;
    const int k = o.documents;
    const size_t expected = size_t(o.document_bytes);
    {
        LatencyServer server(o.latency_ms, o.document_bytes);
        const uint16_t port = server.port();

        // 1. One after another: K round trips, K latencies.
        ClientRun seq = make_run("sequential", 1, 1);
        for (int d = 0; d < k; ++d) seq.fetches.push_back(fetch_blocking(port, d, expected));
        finish(seq);
        result.runs.push_back(std::move(seq));

        // 2. K kernel threads, each blocking in its own recv(): the kernel
        //    overlaps the waits (a multithreaded client, ch. 3.2).
        ClientRun thr = make_run("threads", k, k);
        thr.fetches.resize(size_t(k));
        std::vector<std::string> errors(static_cast<size_t>(k));
        thr.start_ns = now_ns();
        {
            std::vector<std::thread> threads;
            for (int d = 0; d < k; ++d)
                threads.emplace_back([&, d] {
                    try {
                        thr.fetches[size_t(d)] = fetch_blocking(port, d, expected);
                    } catch (const std::exception& e) {
                        errors[size_t(d)] = e.what();
                    }
                });
            for (auto& t : threads) t.join();
        }
        finish(thr);
        for (const auto& e : errors)
            if (!e.empty()) throw std::runtime_error(e);
        result.runs.push_back(std::move(thr));

        // 3. K fibers on ONE kernel thread (round_robin), non-blocking I/O
        //    with fiber-aware waits: user-level threads overlap the waits
        //    without any kernel thread per request.
        ClientRun fib = make_run("fibers", 1, k);
        fib.fetches.resize(size_t(k));
        const uint64_t deadline =
            now_ns() + (uint64_t(o.latency_ms) + 10'000) * 1'000'000;  // a stuck server
        fib.start_ns = now_ns();
        std::thread kernel_thread([&] {
            std::vector<boost::fibers::fiber> fibers;
            for (int d = 0; d < k; ++d)
                fibers.emplace_back([&, d] {
                    try {
                        fib.fetches[size_t(d)] = fetch_fiber(port, d, expected, deadline);
                    } catch (const std::exception& e) {
                        errors[size_t(d)] = e.what();
                    }
                });
            for (auto& f : fibers) f.join();
        });
        kernel_thread.join();
        finish(fib);
        for (const auto& e : errors)
            if (!e.empty()) throw std::runtime_error(e);
        result.runs.push_back(std::move(fib));

        result.served = server.served();
    }  // the server stops here: acceptor and connection threads joined, sockets closed

    result.speedup_threads = result.runs[0].total_ms / result.runs[1].total_ms;
    result.speedup_fibers = result.runs[0].total_ms / result.runs[2].total_ms;
    return result;
}

std::string render_table(const ClientResult& r) {
    const int k = r.options.documents;
    Table t({"client", "kernel threads", "in flight", "total", "per document", "speed-up"});
    t.right_align({1, 2, 3, 4, 5});
    const char* labels[] = {"sequential (blocking sockets)", "threads (blocking sockets)",
                            "fibers (non-blocking sockets)"};
    for (size_t i = 0; i < r.runs.size(); ++i) {
        const auto& run = r.runs[i];
        t.row({labels[i], std::to_string(run.kernel_threads), std::to_string(run.concurrent),
               fmt::format("{:.1f} ms", run.total_ms), fmt::format("{:.1f} ms", run.total_ms / k),
               fmt::format("{:.1f}x", r.runs[0].total_ms / run.total_ms)});
    }
    std::string out = fmt::format(
        "Fetching {} documents of {} bytes from a local server (127.0.0.1) that answers after "
        "{} ms.\n",
        k, r.options.document_bytes, r.options.latency_ms);
    out += t.render();
    out += fmt::format(
        "speed-up sequential/threads = {:.1f}x, sequential/fibers = {:.1f}x (ideal {}x): "
        "overlapping the waits hides the latency (ch. 3.2).\n",
        r.speedup_threads, r.speedup_fibers, k);
    return out;
}

nlohmann::json to_json(const ClientResult& r) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& run : r.runs)
        runs.push_back({{"client", run.name},
                        {"kernel_threads", run.kernel_threads},
                        {"in_flight", run.concurrent},
                        {"total_ms", run.total_ms}});
    return {{"demo", "client"},
            {"documents", r.options.documents},
            {"latency_ms", r.options.latency_ms},
            {"document_bytes", r.options.document_bytes},
            {"runs", runs},
            {"speedup_threads", r.speedup_threads},
            {"speedup_fibers", r.speedup_fibers}};
}

void write_trace(const ClientResult& r, ptv::trace::TraceWriter& tw) {
    if (r.runs.empty()) return;
    const uint64_t t0 = r.runs.front().start_ns;
    auto us = [t0](uint64_t ns) { return double(ns - t0) / 1e3; };
    auto dur = [](uint64_t a, uint64_t b) { return b > a ? double(b - a) / 1e3 : 0.0; };
    for (size_t i = 0; i < r.runs.size(); ++i) {
        const auto& run = r.runs[i];
        const int pid = int(i) + 1;
        const bool fibers = run.name == "fibers";
        tw.process_name(pid, fmt::format("client {}: {}", pid, run.name));
        for (const auto& f : run.fetches) {
            // Sequential: one thread (tid 1) does every fetch; otherwise one
            // thread or fiber per document.
            const int tid = run.name == "sequential" ? 1 : f.document + 1;
            if (run.name == "sequential")
                tw.thread_name(pid, 1, "client thread");
            else
                tw.thread_name(pid, tid,
                               fmt::format("{} {}", fibers ? "fiber" : "thread", f.document));
            const uint64_t reply = f.first_byte_ns ? f.first_byte_ns : f.done_ns;
            tw.complete("thread", "running: connect + send request", pid, tid, us(f.start_ns),
                        dur(f.start_ns, f.sent_ns), {{"document", f.document}});
            tw.complete(
                "thread",
                fibers ? "waiting (fiber-aware: recv EAGAIN + sleep_for)" : "blocked in recv()",
                pid, tid, us(f.sent_ns), dur(f.sent_ns, reply), {{"document", f.document}});
            tw.complete("thread", "running: receive document", pid, tid, us(reply),
                        dur(reply, f.done_ns), {{"document", f.document}, {"bytes", f.bytes}});
        }
    }
    const int server_pid = int(r.runs.size()) + 1;
    tw.process_name(server_pid, fmt::format("server (latency {} ms)", r.options.latency_ms));
    int conn = 0;
    for (const auto& s : r.served) {
        ++conn;
        tw.thread_name(server_pid, conn, fmt::format("connection {}", conn));
        tw.complete("thread", "connection thread: latency, then reply", server_pid, conn,
                    us(s.request_ns), dur(s.request_ns, s.reply_ns), {{"document", s.document}});
    }
    tw.metadata("demo", to_json(r));
}

}  // namespace ptv::threads::demo
