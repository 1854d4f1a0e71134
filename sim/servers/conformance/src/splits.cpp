// Requests cut into pieces (see checks.hpp): a server reads whatever the
// socket gives, and a request may arrive a byte at a time, or with half of
// the next one behind it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ptv/common/rng.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace ptv::servers::conformance {

namespace {

// Long enough for a server that is waiting on the socket to read the first
// piece alone, even on a busy machine: a server that assumes a request
// comes in one read then sees half of one.
constexpr auto kPause = std::chrono::milliseconds(3);

// One request and what must come back for it.
struct Exchange {
    std::string bytes;
    bool head = false;
    int status = 200;
    std::optional<std::string> body;  // exact, when known
    bool closes = false;              // the reply ends the connection
};

// Sends `bytes` in two pieces cut at `cut`, then reads one response per
// exchange and checks it. Returns false when the connection can no longer
// be used (the caller opens a new one).
bool split_and_check(int fd, std::string& buf, const std::vector<Exchange>& xs, size_t cut,
                     const std::string& what, Report& r) {
    std::string bytes;
    for (const auto& x : xs) bytes += x.bytes;
    send_all(fd, std::string_view(bytes).substr(0, cut));
    std::this_thread::sleep_for(kPause);
    send_all(fd, std::string_view(bytes).substr(cut));
    for (size_t i = 0; i < xs.size(); ++i) {
        auto got = read_response(fd, buf, xs[i].head, 3);
        const std::string label = fmt::format("{} cut after byte {} of {}, reply {}: {}", what, cut,
                                              bytes.size(), i + 1, xs[i].bytes);
        if (!r.expect_reply(label, got, xs[i].status, xs[i].body)) return false;
        if (!r.check(got->keep_alive, label + ": the reply closes a kept-alive connection"))
            return false;
    }
    return true;
}

}  // namespace

void check_byte_splits(int port, Report& r) {
    const Exchange one{get_request("/small.txt"), false, 200, std::string(ServedTree::kSmallText)};
    const Exchange two{get_request("/sub/a.txt", "Accept: */*\r\n"), false, 200, "a\n"};
    const std::vector<std::pair<std::string, std::vector<Exchange>>> streams = {
        {"one request", {one}}, {"a pipelined pair", {one, two}}};
    // Report the first few failures of each stream, not a hundred.
    constexpr size_t kMaxPerStream = 3;
    for (const auto& [what, xs] : streams) {
        size_t total = 0;
        for (const auto& x : xs) total += x.bytes.size();
        const size_t before = r.failures().size();
        int fd = connect_to(port);
        std::string buf;
        for (size_t cut = 1; cut < total; ++cut) {
            if (!r.check(fd >= 0, "cannot connect to the server")) return;
            if (!split_and_check(fd, buf, xs, cut, what, r)) {
                close(fd);
                fd = connect_to(port);
                buf.clear();
            }
            if (r.failures().size() - before >= kMaxPerStream) break;
        }
        if (fd >= 0) close(fd);
    }
}

namespace {

// A random request a client may send, with its expected reply.
Exchange random_exchange(SplitMix64& rng) {
    struct Target {
        const char* path;
        int status;
        std::optional<std::string_view> body;
    };
    static const Target targets[] = {
        {"/small.txt", 200, ServedTree::kSmallText},
        {"/sub/a.txt", 200, "a\n"},
        {"/", 200, ServedTree::kIndexHtml},
        {"/with%20space.txt", 200, "spaced\n"},
        {"/sub/../small.txt", 200, ServedTree::kSmallText},
        {"/small.txt?q=1", 200, ServedTree::kSmallText},
        {"/nothing-here", 404, std::nullopt},
        {"/../outside.txt", 403, std::nullopt},
    };
    static const char* extras[] = {"", "Accept: */*\r\n",
                                   "User-Agent: ptvlab-random/1.0\r\nAccept-Encoding: identity\r\n",
                                   "Cookie: a=b; c=d\r\n",
                                   "X-Long: "
                                   "0123456789abcdef0123456789abcdef0123456789abcdef\r\n"};
    const Target& t = targets[rng.below(std::size(targets))];
    Exchange x;
    x.head = rng.below(5) == 0;
    std::string extra = extras[rng.below(std::size(extras))];
    std::string body;
    if (!x.head && rng.below(6) == 0) {  // a small body on a GET, read and dropped
        body = std::string(size_t(rng.between(1, 40)), 'b');
        extra += fmt::format("Content-Length: {}\r\n", body.size());
    }
    x.bytes = get_request(t.path, extra, x.head ? "HEAD" : "GET") + body;
    x.status = t.status;
    if (t.body) x.body = std::string(x.head ? std::string_view() : *t.body);
    return x;
}

struct Client {
    int fd = -1;
    std::string stream;  // every byte it will send
    size_t sent = 0;
    std::vector<Exchange> xs;
    std::string buf;
};

}  // namespace

void check_random_splits(int port, uint64_t seed, bool may_close, Report& r) {
    SplitMix64 rng(seed);
    constexpr int kClients = 6;
    std::vector<Client> clients(kClients);
    for (auto& c : clients) {
        const int n = rng.between(2, 6);
        for (int i = 0; i < n; ++i) c.xs.push_back(random_exchange(rng));
        if (rng.below(3) == 0) {  // the last one asks to close
            Exchange last{get_request("/sub/a.txt", "Connection: close\r\n"), false, 200, "a\n",
                          true};
            c.xs.push_back(last);
        }
        for (const auto& x : c.xs) c.stream += x.bytes;
        c.fd = connect_to(port);
        if (!r.check(c.fd >= 0, "cannot connect to the server")) {
            for (auto& o : clients)
                if (o.fd >= 0) close(o.fd);
            return;
        }
    }
    // Interleave the clients' pieces: each step one client sends its next
    // 1 to 24 bytes (now and then a bigger piece), then a pause of 0 to 3 ms.
    for (;;) {
        std::vector<size_t> left;
        for (size_t i = 0; i < clients.size(); ++i)
            if (clients[i].sent < clients[i].stream.size()) left.push_back(i);
        if (left.empty()) break;
        Client& c = clients[left[rng.below(left.size())]];
        size_t piece =
            rng.below(8) == 0 ? size_t(rng.between(25, 200)) : size_t(rng.between(1, 24));
        piece = std::min(piece, c.stream.size() - c.sent);
        send_all(c.fd, std::string_view(c.stream).substr(c.sent, piece));
        c.sent += piece;
        std::this_thread::sleep_for(std::chrono::microseconds(rng.below(4) * 1000));
    }
    for (size_t ci = 0; ci < clients.size(); ++ci) {
        Client& c = clients[ci];
        int reconnects = 0;
        size_t answered_here = 0;  // responses read on the current connection
        // A client whose connection was given up sends the rest again on a
        // new one, in random pieces.
        auto resend_from = [&](size_t first) {
            ++reconnects;
            answered_here = 0;
            close(c.fd);
            c.fd = connect_to(port);
            c.buf.clear();
            if (c.fd < 0) return false;
            std::string rest;
            for (size_t k = first; k < c.xs.size(); ++k) rest += c.xs[k].bytes;
            for (size_t at = 0; at < rest.size();) {
                const size_t piece = std::min(rest.size() - at, size_t(rng.between(1, 24)));
                send_all(c.fd, std::string_view(rest).substr(at, piece));
                at += piece;
                std::this_thread::sleep_for(std::chrono::microseconds(rng.below(4) * 500));
            }
            return true;
        };
        for (size_t i = 0; i < c.xs.size(); ++i) {
            const Exchange& x = c.xs[i];
            size_t seen = 0;
            auto got = read_response(c.fd, c.buf, x.head, 3, &seen);
            const std::string label =
                fmt::format("client {}, request {} of {}: {}", ci + 1, i + 1, c.xs.size(), x.bytes);
            if (!got && may_close && answered_here > 0 && seen == 0 && reconnects < 10 &&
                closed_by_peer(c.fd, 0.5)) {
                // A worker pool gives an idle kept-alive connection up
                // (sim/servers/README.md, "Keep-alive and fairness"); when
                // the client's next request leaves just as it does, that
                // request was never read, and a client sends it again on a
                // new connection, as browsers do.
                if (!r.check(resend_from(i), "cannot connect to the server")) break;
                --i;
                continue;
            }
            if (!r.expect_reply(label, got, x.status, x.body)) break;
            ++answered_here;
            if (x.closes) {
                r.check(closed_by_peer(c.fd, 3), label + ": not closed after the reply");
                break;
            }
            if (got->keep_alive) continue;
            if (!r.check(may_close && i + 1 < c.xs.size() && reconnects < 10,
                         label + ": the reply closes a connection the client kept alive"))
                break;
            // Given up between requests ("Connection: close").
            if (!r.check(resend_from(i + 1), "cannot connect to the server")) break;
        }
        if (c.fd >= 0) close(c.fd);
    }
}

}  // namespace ptv::servers::conformance
