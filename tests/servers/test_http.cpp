// sim/servers/http without sockets: the request parser's statuses however
// the bytes are split, targets that try to leave the root, the cache of the
// simulated disk, and the session counters.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/reply.hpp"
#include "ptv/servers/http/representation.hpp"
#include "ptv/servers/http/request.hpp"
#include "ptv/servers/http/service.hpp"
#include "ptv/servers/http/target.hpp"
#include "ptv/servers/http/validators.hpp"
#include "server_process.hpp"

using namespace ptv::servers::http;
using Status = RequestParser::Status;

namespace {

// Feeds `text` in pieces of `step` bytes; the final outcome.
RequestParser::Outcome feed_in_steps(RequestParser& p, const std::string& text, size_t step) {
    RequestParser::Outcome out{Status::NeedMore};
    size_t consumed = 0;
    for (size_t i = 0; i < text.size(); i += step) {
        out = p.feed(std::string_view(text).substr(i, step));
        if (out.status != Status::NeedMore) {
            out.consumed += i;
            return out;
        }
        consumed += out.consumed;
    }
    out.consumed = consumed;
    return out;
}

int status_of(const std::string& text, size_t step = 1 << 20) {
    RequestParser p;
    auto out = feed_in_steps(p, text, step);
    if (out.status == Status::Complete) return 0;
    if (out.status == Status::NeedMore) return -1;
    return out.error_status;
}

}  // namespace

TEST_CASE("parser: a request, whole or a byte at a time") {
    const std::string text =
        "GET /a/b%20c?q=1 HTTP/1.1\r\nHost: example\r\nCookie: x=1\r\nCookie: y=2\r\n\r\n";
    for (size_t step : {size_t(1), size_t(3), size_t(7), text.size()}) {
        RequestParser p;
        auto out = feed_in_steps(p, text, step);
        REQUIRE(out.status == Status::Complete);
        CHECK(out.consumed == text.size());
        CHECK(p.request().method == Method::Get);
        CHECK(p.request().target == "/a/b%20c?q=1");
        CHECK(p.request().host == "example");
        CHECK(p.request().cookie == "x=1; y=2");
        CHECK(p.request().keep_alive);
    }
}

TEST_CASE("parser: pipelined requests stop at the end of the first") {
    const std::string one = "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string two = "GET /y HTTP/1.0\r\n\r\n";
    RequestParser p;
    auto out = p.feed(one + two);
    REQUIRE(out.status == Status::Complete);
    CHECK(out.consumed == one.size());
    CHECK(p.request().method == Method::Head);
    p.reset();
    out = p.feed(two);
    REQUIRE(out.status == Status::Complete);
    CHECK(p.request().target == "/y");
    CHECK_FALSE(p.request().keep_alive);  // HTTP/1.0 without keep-alive
    CHECK(p.request().version_minor == 0);
}

TEST_CASE("parser: error statuses do not depend on how the bytes are split") {
    const std::string big_head =
        "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(kMaxHeadBytes, 'a');
    struct Case {
        std::string text;
        int status;
    };
    const Case cases[] = {
        {"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 501},
        {"get / HTTP/1.1\r\nHost: h\r\n\r\n", 501},
        {"G@T / HTTP/1.1\r\n\r\n", 400},
        {"\x01\x02\x03 / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\n\r\n" + std::string(70000, 'b'),
         413},
        {big_head, 431},
        {"GET /" + std::string(kMaxHeadBytes, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
        {"GET /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         501},
        {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", 0},
    };
    for (const auto& c : cases)
        for (size_t step : {size_t(1), size_t(5), size_t(1 << 20)}) {
            INFO(c.text.substr(0, 40) << " in steps of " << step);
            CHECK(status_of(c.text, step) == c.status);
        }
    // Exactly at the limit is fine.
    std::string at_limit = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
    at_limit += std::string(kMaxHeadBytes - at_limit.size() - 4, 'a') + "\r\n\r\n";
    REQUIRE(at_limit.size() == kMaxHeadBytes);
    CHECK(status_of(at_limit, 1) == 0);
    CHECK(status_of(at_limit) == 0);
    CHECK(status_of(at_limit + "x") == 0);  // the next request's first byte
}

TEST_CASE("targets: decoded, normalised, never above the root") {
    CHECK(resolve_target("/").path == "");
    CHECK(resolve_target("/a//b/./c").path == "a/b/c");
    CHECK(resolve_target("/a/../b").path == "b");
    CHECK(resolve_target("/a%20b?x=/../..").path == "a b");
    CHECK(resolve_target("http://host:80/x/y").path == "x/y");
    CHECK(resolve_target("/..").status == 403);
    CHECK(resolve_target("/a/../../b").status == 403);
    CHECK(resolve_target("/%2e%2e/x").status == 403);
    CHECK(resolve_target("/a%2f..%2f..%2fb").status == 403);
    CHECK(resolve_target("/%zz").status == 400);
    CHECK(resolve_target("/%2").status == 400);
    CHECK(resolve_target("/a%00").status == 400);
    CHECK(resolve_target("*").status == 400);
    CHECK(resolve_target("x").status == 400);
    CHECK(resolve_target("/" + std::string(kMaxTargetBytes, 'a')).status == 414);
    CHECK(with_trailing_slash("/a%20b?x=/y#f") == "/a%20b/?x=/y#f");
    CHECK(with_trailing_slash("http://h/sub") == "http://h/sub/");
    CHECK(names_directory("/"));
    CHECK(names_directory("/sub/?x=a/b"));
    CHECK_FALSE(names_directory("/sub?x=a/"));
}

TEST_CASE("validators: HTTP-dates in the three forms, strong entity tags") {
    const time_t t = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example)
    CHECK(format_http_date(t) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == t);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == t);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == t);
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37"));
    CHECK_FALSE(parse_http_date("yesterday"));
    CHECK_FALSE(parse_http_date(""));
    struct stat st {};
    st.st_ino = 0x1234;
    st.st_size = 19;
    st.st_mtim = {t, 5};
    auto v = make_validators(st);
    CHECK(v->etag == "\"1234-13-2ebc98a1.5\"");
    CHECK(v->modified == t);
    CHECK(v->header_lines ==
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"1234-13-2ebc98a1.5\"\r\n"
          "Accept-Ranges: bytes\r\n");
}

TEST_CASE("representation: conditions and byte ranges decided exactly") {
    Validators v;
    v.etag = "\"abc\"";
    v.modified = 1000;
    Request q;
    CHECK_FALSE(not_modified(q, v));
    q.if_none_match = "\"x\", W/\"abc\"";
    CHECK(not_modified(q, v));
    q.if_none_match = "\"x\"";
    q.if_modified_since = format_http_date(2000);
    CHECK_FALSE(not_modified(q, v));  // If-None-Match decides
    q.if_none_match.clear();
    CHECK(not_modified(q, v));
    q.if_modified_since = format_http_date(999);
    CHECK_FALSE(not_modified(q, v));

    using K = ByteRange::Kind;
    auto range = [&](std::string spec, uint64_t size, std::string if_range = {}) {
        Request r;
        r.range = std::move(spec);
        r.if_range = std::move(if_range);
        return choose_range(r, v, size);
    };
    auto part = [](ByteRange b, uint64_t first, uint64_t length) {
        return b.kind == K::Part && b.first == first && b.length == length;
    };
    CHECK(part(range("bytes=0-0", 10), 0, 1));
    CHECK(part(range("bytes=2-", 10), 2, 8));
    CHECK(part(range("bytes=-3", 10), 7, 3));
    CHECK(part(range("bytes=-30", 10), 0, 10));
    CHECK(part(range("bytes=5-99", 10), 5, 5));
    CHECK(range("bytes = 1-2", 10).kind == K::Whole);  // no space around "="
    CHECK(range("bytes=10-", 10).kind == K::Unsatisfiable);
    CHECK(range("bytes=-0", 10).kind == K::Unsatisfiable);
    CHECK(range("bytes=0-", 0).kind == K::Unsatisfiable);
    CHECK(range("bytes=3-2", 10).kind == K::Whole);
    CHECK(range("bytes=0-1,4-5", 10).kind == K::Whole);
    CHECK(range("bytes=a-b", 10).kind == K::Whole);
    CHECK(range("bytes=-", 10).kind == K::Whole);
    CHECK(range("items=0-1", 10).kind == K::Whole);
    CHECK(range("bytes=99999999999999999999-", 10).kind == K::Whole);
    CHECK(part(range("bytes=0-1", 10, "\"abc\""), 0, 2));
    CHECK(range("bytes=0-1", 10, "W/\"abc\"").kind == K::Whole);
    CHECK(part(range("bytes=0-1", 10, format_http_date(1000)), 0, 2));
    CHECK(range("bytes=0-1", 10, format_http_date(1001)).kind == K::Whole);
}

TEST_CASE("reply: status line, length, keep-alive spelled per version") {
    Reply r = error_reply(404);
    Request v11, v10;
    v10.version_minor = 0;
    std::string head = render_head(r, v11, true);
    CHECK(head.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
    CHECK(head.find("Content-Length: 14\r\n") != std::string::npos);  // "404 Not Found\n"
    CHECK(head.find("Connection:") == std::string::npos);
    CHECK(render_head(r, v10, true).find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK(render_head(r, v11, false).find("Connection: close\r\n") != std::string::npos);
    CHECK(head.size() > 4);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
    CHECK(error_reply(400).close);
    CHECK_FALSE(error_reply(404).close);
    CHECK(content_type_for("a/b.HTML") == "application/octet-stream");
    CHECK(content_type_for("a.b/c") == "application/octet-stream");
    CHECK(content_type_for("x.css") == "text/css; charset=utf-8");
}

TEST_CASE("disk: a miss waits the latency, a hit does not, LRU of whole files") {
    ptv::test::ServedTree tree;
    SimulatedDisk disk(tree.root, std::chrono::milliseconds(30), 2);
    auto timed = [&](const std::string& path) {
        uint64_t t0 = ptv::now_ns();
        DiskRead r = disk.read(path);
        return std::make_pair(r, (ptv::now_ns() - t0) / 1e6);
    };
    auto [a1, ms1] = timed("small.txt");
    CHECK(a1.outcome == DiskRead::Outcome::Ok);
    CHECK_FALSE(a1.hit);
    CHECK(ms1 >= 29);
    auto [a2, ms2] = timed("small.txt");
    CHECK(a2.hit);
    CHECK(ms2 < 25);
    CHECK(*a2.bytes == ptv::test::ServedTree::kSmallText);
    timed("sub/a.txt");
    timed("index.html");  // evicts small.txt (least recently used)
    CHECK_FALSE(disk.lookup("small.txt"));
    CHECK(disk.lookup("index.html"));
    CHECK(disk.stats().hits == 2);  // small.txt once, index.html once
    CHECK(disk.stats().misses == 3);
    CHECK(disk.read("").name == "index.html");
    CHECK(disk.read("sub").outcome == DiskRead::Outcome::Forbidden);
    CHECK(disk.read("sub").directory);
    CHECK(disk.read("").directory);
    CHECK_FALSE(disk.read("small.txt").directory);
    CHECK(disk.read("up").outcome == DiskRead::Outcome::Forbidden);
    CHECK(disk.read("passwd").outcome == DiskRead::Outcome::Forbidden);
    CHECK(disk.read("fifo").outcome == DiskRead::Outcome::Forbidden);
    CHECK(disk.read("missing").outcome == DiskRead::Outcome::NotFound);
    CHECK_THROWS_AS(SimulatedDisk("/nonexistent", {}, 0), ptv::UsageError);
}

TEST_CASE("disk: a cached file changed on disk is read again, with new validators") {
    ptv::test::ServedTree tree;
    SimulatedDisk disk(tree.root, std::chrono::milliseconds(0), 8);
    const std::string path = tree.root + "/v.txt";
    std::ofstream(path) << "one\n";
    DiskRead first = disk.read("v.txt");
    REQUIRE(first.validators);
    CHECK(disk.lookup("v.txt"));
    std::ofstream(path) << "two, longer\n";
    std::this_thread::sleep_for(std::chrono::nanoseconds(kRevalidateNs + 20'000'000));
    CHECK_FALSE(disk.lookup("v.txt"));  // stale: dropped
    DiskRead second = disk.read("v.txt");
    CHECK(*second.bytes == "two, longer\n");
    REQUIRE(second.validators);
    CHECK(second.validators->etag != first.validators->etag);
    CHECK(disk.lookup("v.txt"));
}

TEST_CASE("disk: listings only when asked, sorted, escaped, hidden files left out") {
    ptv::test::ServedTree tree;
    SimulatedDisk disk(tree.root, std::chrono::milliseconds(0), 8);
    CHECK(disk.read("sub").outcome == DiskRead::Outcome::Forbidden);
    disk.list_directories(true);
    DiskRead l = disk.read("sub");
    REQUIRE(l.outcome == DiskRead::Outcome::Ok);
    CHECK(l.listing);
    CHECK(l.directory);
    CHECK_FALSE(l.validators);
    CHECK_FALSE(disk.lookup("sub"));  // never cached: the directory can change
    const std::string& html = *l.bytes;
    CHECK(html.find(".hidden") == std::string::npos);
    CHECK(html.find("b&amp;&lt;i&gt;.txt") != std::string::npos);
    CHECK(html.find("a.txt") < html.find("b%26"));
    CHECK(html.find("<a href=\"deeper/\">deeper/</a>") != std::string::npos);
    CHECK(disk.read("").name == "index.html");  // an index wins over a listing
    CHECK_FALSE(disk.read("").listing);
}

TEST_CASE("session counters: state in the server versus state in the cookie") {
    Request req;
    req.target = "/";
    auto stateful = make_stateful_counter();
    auto r1 = stateful->plan(req).reply;
    REQUIRE(r1);
    CHECK(*r1->body == "visits: 1\n");
    auto cookie_at = r1->extra_headers.find("session=");
    REQUIRE(cookie_at != std::string::npos);
    req.cookie = r1->extra_headers.substr(cookie_at, r1->extra_headers.find(';') - cookie_at);
    CHECK(*stateful->plan(req).reply->body == "visits: 2\n");
    CHECK(*stateful->plan(req).reply->body == "visits: 3\n");
    // A new server (a restart) has never heard of the session.
    auto restarted = make_stateful_counter();
    CHECK(*restarted->plan(req).reply->body == "visits: 1\n");

    auto stateless = make_stateless_counter();
    req.cookie = "other=1; visits=41";
    auto s = stateless->plan(req).reply;
    CHECK(*s->body == "visits: 42\n");
    CHECK(s->extra_headers.find("Set-Cookie: visits=42;") != std::string::npos);
    CHECK(*make_stateless_counter()->plan(req).reply->body == "visits: 42\n");
    req.cookie = "visits=forged!";
    CHECK(*stateless->plan(req).reply->body == "visits: 1\n");
    req.target = "/favicon.ico";
    CHECK(stateless->plan(req).reply->status == 404);
}
