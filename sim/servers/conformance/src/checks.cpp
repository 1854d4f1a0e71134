// The conformance and robustness checks of every architecture (see
// checks.hpp). Every expectation is exact where the answer is known.
#include "ptv/servers/conformance/checks.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "conn.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace ptv::servers::conformance {

namespace {

bool connected(const Conn& c, Report& r) {
    return r.check(c.fd >= 0, "cannot connect to the server");
}

}  // namespace

void check_get_and_head(int port, Report& r) {
    const std::string get = get_request("/small.txt");
    auto g = exchange(port, get);
    if (r.expect_reply(get, g, 200, ServedTree::kSmallText)) {
        r.check(g->content_length == int64_t(ServedTree::kSmallText.size()),
                fmt::format("GET /small.txt: Content-Length {}, expected {}", g->content_length,
                            ServedTree::kSmallText.size()));
        r.check(g->content_type == "text/plain; charset=utf-8",
                "GET /small.txt: Content-Type \"" + g->content_type +
                    "\", expected \"text/plain; charset=utf-8\"");
    }
    // HEAD: the same headers, no body; the connection goes on.
    Conn c(port);
    if (!connected(c, r)) return;
    const std::string head = get_request("/small.txt", {}, "HEAD");
    send_all(c.fd, head);
    auto h = read_response(c.fd, c.buf, true);
    if (!r.expect_reply(head, h, 200, "")) return;
    r.check(h->content_length == int64_t(ServedTree::kSmallText.size()),
            fmt::format("HEAD /small.txt: Content-Length {}, expected {}", h->content_length,
                        ServedTree::kSmallText.size()));
    const std::string next = get_request("/sub/a.txt");
    send_all(c.fd, next);
    auto n = read_response(c.fd, c.buf);
    if (!r.expect_reply("after a HEAD on the same connection: " + next, n, 200, "a\n")) return;
    r.check(c.buf.empty(), "HEAD /small.txt: a body was sent after the HEAD reply");
}

void check_names(int port, Report& r) {
    struct Case {
        const char* path;
        int status;
        std::optional<std::string_view> body;
    };
    const Case cases[] = {
        {"/", 200, ServedTree::kIndexHtml},
        {"/sub/", 403, std::nullopt},  // a directory without index.html
        {"/docs/", 200, ServedTree::kDocsIndexHtml},
        {"/with%20space.txt", 200, "spaced\n"},
        {"/small.txt?x=1&y=2", 200, ServedTree::kSmallText},
        {"http://test/small.txt", 200, ServedTree::kSmallText},
        {"/nothing-here", 404, std::nullopt},
        {"/small.txt/x", 404, std::nullopt},
        {"/fifo", 403, std::nullopt},  // and it did not hang
    };
    for (const auto& c : cases) {
        const std::string req = get_request(c.path);
        auto got = exchange(port, req);
        if (r.expect_reply(req, got, c.status, c.body) && std::string_view(c.path) == "/")
            r.check(got->content_type == "text/html; charset=utf-8",
                    "GET /: Content-Type \"" + got->content_type +
                        "\", expected \"text/html; charset=utf-8\"");
    }
    // A directory named without its trailing slash moves to the name with
    // it (else relative links in its index resolve against its parent),
    // whether it has an index or not; the query goes along.
    const std::pair<const char*, const char*> moves[] = {
        {"/docs", "/docs/"}, {"/sub", "/sub/"}, {"/sub/deeper?x=1", "/sub/deeper/?x=1"}};
    for (const auto& [path, location] : moves) {
        const std::string req = get_request(path);
        auto got = exchange(port, req);
        if (r.expect_reply(req, got, 301))
            r.check(got->location == location,
                    fmt::format("{}: Location \"{}\", expected \"{}\"", printable(req),
                                got->location, location));
    }
}

void check_traversal(int port, Report& r) {
    for (const char* path : {"/../outside.txt", "/sub/../../outside.txt", "/%2e%2e/outside.txt",
                             "/..%2foutside.txt", "/up", "/passwd", "/sub/..%2F..%2Foutside.txt"}) {
        const std::string req = get_request(path);
        auto e = exchange(port, req);
        if (!r.check(e.has_value(), printable(req) + ": no complete response")) continue;
        r.check(e->status == 403 || e->status == 404,
                fmt::format("{}: status {}, expected 403 or 404 (a path outside the root)",
                            printable(req), e->status));
        r.check(e->body.find("outside") == std::string::npos &&
                    e->body.find("root:") == std::string::npos,
                printable(req) + ": the body shows the file outside the root");
    }
    // Dot-dot that stays inside is fine.
    const std::string inside = get_request("/sub/../small.txt");
    r.expect_reply(inside, exchange(port, inside), 200, ServedTree::kSmallText);
}

void check_keep_alive(int port, Report& r) {
    // Three requests on one connection, the last two pipelined in one write.
    {
        Conn c(port);
        if (!connected(c, r)) return;
        const std::string first = get_request("/small.txt");
        send_all(c.fd, first);
        auto a = read_response(c.fd, c.buf);
        if (!r.expect_reply(first, a, 200, ServedTree::kSmallText)) return;
        r.check(a->keep_alive, "GET /small.txt (HTTP/1.1): the reply closes the connection");
        const std::string pair = get_request("/sub/a.txt") + get_request("/small.txt");
        send_all(c.fd, pair);
        auto b = read_response(c.fd, c.buf);
        auto d = read_response(c.fd, c.buf);
        r.expect_reply("pipelined, first of " + pair, b, 200, "a\n");
        r.expect_reply("pipelined, second of " + pair, d, 200, ServedTree::kSmallText);
    }
    // HTTP/1.0 closes unless asked to keep alive; "Connection: close" closes.
    {
        Conn c(port);
        if (!connected(c, r)) return;
        const std::string req = "GET /small.txt HTTP/1.0\r\n\r\n";
        send_all(c.fd, req);
        if (r.expect_reply(req, read_response(c.fd, c.buf), 200, ServedTree::kSmallText))
            r.check(closed_by_peer(c.fd, 3),
                    "HTTP/1.0 without keep-alive: not closed after the reply");
    }
    {
        Conn c(port);
        if (!connected(c, r)) return;
        const std::string req = "GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        send_all(c.fd, req);
        auto a = read_response(c.fd, c.buf);
        if (r.expect_reply(req, a, 200)) {
            r.check(a->connection == "keep-alive",
                    "HTTP/1.0 with Connection: keep-alive: the reply says Connection: \"" +
                        a->connection + "\", expected \"keep-alive\"");
            const std::string next = "GET /sub/a.txt HTTP/1.0\r\n\r\n";
            send_all(c.fd, next);
            r.expect_reply("HTTP/1.0, second on a kept-alive connection: " + next,
                           read_response(c.fd, c.buf), 200, "a\n");
        }
    }
    {
        Conn c(port);
        if (!connected(c, r)) return;
        const std::string req = get_request("/small.txt", "Connection: close\r\n");
        send_all(c.fd, req);
        auto a = read_response(c.fd, c.buf);
        if (r.expect_reply(req, a, 200)) {
            r.check(a->connection == "close", "Connection: close: the reply says Connection: \"" +
                                                  a->connection + "\", expected \"close\"");
            r.check(closed_by_peer(c.fd, 3), "Connection: close: not closed after the reply");
        }
    }
}

void check_big_file(int port, Report& r) {
    const std::string req = get_request("/big.bin");
    auto g = exchange(port, req);
    if (!r.expect_reply(req, g, 200)) return;
    r.check(
        g->body.size() == ServedTree::kBigBytes,
        fmt::format("GET /big.bin: {} bytes, expected {}", g->body.size(), ServedTree::kBigBytes));
    r.check(g->body.substr(0, 3) == "ABC", "GET /big.bin: the body does not start with ABC");
}

void check_malformed(int port, Report& r) {
    struct Case {
        std::string request;
        int status;
    };
    const std::string huge_header = "X-Big: " + std::string(9000, 'a') + "\r\n";
    const Case cases[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET /small.txt HTTP/1.1\r\nHost test\r\n\r\n", 400},  // no colon
        {"GET /small.txt HTTP/1.1\r\n\r\n", 400},               // HTTP/1.1 without Host
        {"GET /small.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"GET small.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"GET /small.txt HTTP/1.10\r\nHost: t\r\n\r\n", 400},
        {"GET /small.txt HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400},
        {get_request("/small.txt", huge_header), 431},
        {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
        {"GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
        {"GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
        // A transfer coding we do not know (RFC 9112 §6.1).
        {get_request("/small.txt", "Transfer-Encoding: gzip\r\n") + "xyz", 501},
        {get_request("/small.txt", "Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n", 501},
        {get_request("/small.txt", {}, "BREW"), 501},
        {get_request("/small.txt", {}, "POST"), 501},
        {get_request("/small.txt", {}, "DELETE"), 501},
        {get_request("/small.txt", {}, "get"), 501},
        {"GET /small.txt HTTP/2.0\r\nHost: t\r\n\r\n", 505},
        {get_request("/small.txt", "Content-Length: 100000\r\n") + std::string(100000, 'x'), 413},
    };
    for (const auto& c : cases) {
        Conn conn(port);
        if (!connected(conn, r)) return;
        send_all(conn.fd, c.request);
        auto got = read_response(conn.fd, conn.buf);
        if (!r.expect_reply(c.request, got, c.status)) continue;
        r.check(got->connection == "close", printable(c.request) +
                                                ": the reply says Connection: \"" +
                                                got->connection + "\", expected \"close\"");
        r.check(closed_by_peer(conn.fd, 3), printable(c.request) + ": not closed after the reply");
    }
    // A body on a GET is read and dropped; the connection goes on.
    {
        Conn c(port);
        if (!connected(c, r)) return;
        const std::string req = get_request("/small.txt", "Content-Length: 5\r\n") + "hello" +
                                get_request("/sub/a.txt");
        send_all(c.fd, req);
        auto a = read_response(c.fd, c.buf);
        auto b = read_response(c.fd, c.buf);
        r.expect_reply("GET with a 5-byte body: " + req, a, 200);
        r.expect_reply("the request after a GET with a body: " + req, b, 200, "a\n");
    }
    // Still serving.
    const std::string after = get_request("/small.txt");
    r.expect_reply("after the malformed requests: " + after, exchange(port, after), 200);
}

void check_slow_clients(int port, Report& r) {
    // Half a request, then nothing: 408 and closed.
    {
        Conn slow(port);
        if (!connected(slow, r)) return;
        send_all(slow.fd, "GET /small.txt HT");
        auto got = read_response(slow.fd, slow.buf, false, 5);
        if (r.expect_reply("half a request, then silence: GET /small.txt HT", got, 408))
            r.check(closed_by_peer(slow.fd, 3), "half a request: not closed after the 408");
    }
    // Connected, silent: closed without a reply.
    {
        Conn idle(port);
        if (!connected(idle, r)) return;
        r.check(closed_by_peer(idle.fd, 5),
                "a connection that never sends a byte is not closed within 5 s (timeout 0.3 s)");
    }
    // A client that trickles its head a byte at a time still runs out of
    // time: the deadline covers the whole head, not each byte.
    {
        Conn trickle(port);
        if (!connected(trickle, r)) return;
        const std::string request =
            get_request("/small.txt", "X-Slow: " + std::string(60, 's') + "\r\n");
        bool cut = false;
        for (char ch : request) {
            if (send(trickle.fd, &ch, 1, MSG_NOSIGNAL) != 1) {
                cut = true;
                break;
            }
            pollfd p{trickle.fd, POLLIN, 0};
            if (poll(&p, 1, 20) > 0) {
                cut = true;
                break;
            }
        }
        r.check(cut,
                "a client trickling its head a byte every 20 ms was served or kept past the "
                "0.3 s timeout: the deadline must cover the whole head, not each byte");
    }
    // And a normal client is served after them.
    const std::string after = get_request("/small.txt");
    r.expect_reply("after the slow clients: " + after, exchange(port, after), 200);
}

void check_disconnect_mid_reply(int port, Report& r) {
    for (int i = 0; i < 3; ++i) {
        Conn c(port);
        if (!connected(c, r)) return;
        int small = 4096;  // a small receive window, so the server is still writing
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        send_all(c.fd, get_request("/big.bin"));
        char buf[1024];
        r.check(recv(c.fd, buf, sizeof buf, 0) > 0, "GET /big.bin: no byte of the reply came");
        linger lg{1, 0};  // close with a reset
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    // The same, the polite way (FIN), in the middle of a pipelined pair.
    {
        Conn c(port);
        if (!connected(c, r)) return;
        send_all(c.fd, get_request("/big.bin") + get_request("/big.bin"));
        char buf[1024];
        r.check(recv(c.fd, buf, sizeof buf, 0) > 0, "GET /big.bin: no byte of the reply came");
    }
    const std::string after = get_request("/small.txt");
    r.expect_reply("after clients that left mid-reply: " + after, exchange(port, after), 200);
}

}  // namespace ptv::servers::conformance
