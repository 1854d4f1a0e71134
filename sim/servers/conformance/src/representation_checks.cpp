// Validators, conditional and range requests, a file changed on disk and
// directory listings (see checks.hpp). The served files' contents are known,
// so every body and every Content-Range is checked exactly.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "conn.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/conformance/served_tree.hpp"

namespace ptv::servers::conformance {

namespace {

constexpr std::string_view kSmall = ServedTree::kSmallText;  // 19 bytes

std::optional<http::Response> get(int port, std::string_view path, std::string_view extra = {},
                                  std::string_view method = "GET") {
    return exchange(port, get_request(path, extra, method), method == "HEAD");
}

void expect_header(Report& r, std::string_view what, const std::string& got,
                   std::string_view expected) {
    r.check(got == expected,
            fmt::format("{}: \"{}\", expected \"{}\"", what, printable(got), expected));
}

// 206 with exactly these bytes and this Content-Range.
void expect_part(Report& r, int port, std::string_view range, std::string_view body,
                 std::string_view content_range) {
    const std::string extra = fmt::format("Range: {}\r\n", range);
    const std::string req = get_request("/small.txt", extra);
    auto got = exchange(port, req);
    if (!r.expect_reply(req, got, 206, body)) return;
    expect_header(r, printable(req) + ": Content-Range", got->content_range, content_range);
}

}  // namespace

void check_validators_and_ranges(int port, Report& r) {
    const std::string plain = get_request("/small.txt");
    auto g = exchange(port, plain);
    if (!r.expect_reply(plain, g, 200, kSmall)) return;
    r.check(g->etag.size() > 2 && g->etag.front() == '"' && g->etag.back() == '"',
            "GET /small.txt: no strong ETag (\"" + g->etag + "\")");
    r.check(!g->last_modified.empty(), "GET /small.txt: no Last-Modified");
    expect_header(r, "GET /small.txt: Accept-Ranges", g->accept_ranges, "bytes");
    const std::string etag = g->etag, modified = g->last_modified;
    auto again = exchange(port, plain);
    if (again)
        expect_header(r, "a second GET /small.txt: ETag (the same file, the same tag)", again->etag,
                      etag);

    // Conditional requests (RFC 9110 §13.1): 304 without a body, the
    // validators repeated, the connection kept; a non-match is a full 200.
    struct Cond {
        std::string headers;
        int status;
    };
    const Cond conds[] = {
        {fmt::format("If-None-Match: {}\r\n", etag), 304},
        {fmt::format("If-None-Match: \"other\", W/{}\r\n", etag), 304},  // weak comparison
        {"If-None-Match: *\r\n", 304},
        {"If-None-Match: \"other\"\r\n", 200},
        {fmt::format("If-Modified-Since: {}\r\n", modified), 304},
        {"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 200},
        {"If-Modified-Since: not a date\r\n", 200},
        // If-None-Match decides; If-Modified-Since is then not looked at.
        {fmt::format("If-None-Match: \"other\"\r\nIf-Modified-Since: {}\r\n", modified), 200},
    };
    for (const auto& c : conds) {
        const std::string req = get_request("/small.txt", c.headers) + get_request("/sub/a.txt");
        Conn conn(port);
        if (!r.check(conn.fd >= 0, "cannot connect to the server")) return;
        send_all(conn.fd, req);
        auto first = read_response(conn.fd, conn.buf);
        if (!r.expect_reply(req, first, c.status, c.status == 304 ? "" : kSmall)) continue;
        if (c.status == 304) {
            expect_header(r, printable(req) + ": the 304's ETag", first->etag, etag);
            r.check(first->content_length == -1 && first->content_type.empty(),
                    printable(req) + ": a 304 with Content-Length or Content-Type");
        }
        r.expect_reply("the request after it on the same connection: " + req,
                       read_response(conn.fd, conn.buf), 200, "a\n");
    }
    auto head =
        exchange(port, get_request("/small.txt", "If-None-Match: " + etag + "\r\n", "HEAD"), true);
    r.expect_reply("HEAD /small.txt with a matching If-None-Match", head, 304, "");

    // Single byte ranges (RFC 9110 §14.1.2) of the 19-byte file.
    expect_part(r, port, "bytes=0-4", kSmall.substr(0, 5), "bytes 0-4/19");
    expect_part(r, port, "bytes=6-", kSmall.substr(6), "bytes 6-18/19");
    expect_part(r, port, "bytes=-7", kSmall.substr(12), "bytes 12-18/19");
    expect_part(r, port, "bytes=10-1000", kSmall.substr(10), "bytes 10-18/19");
    expect_part(r, port, "bytes=-100", kSmall, "bytes 0-18/19");
    expect_part(r, port, "BYTES=18-18", kSmall.substr(18), "bytes 18-18/19");
    for (const char* range : {"bytes=19-", "bytes=100-200", "bytes=-0"}) {
        const std::string req = get_request("/small.txt", fmt::format("Range: {}\r\n", range));
        Conn conn(port);
        if (!r.check(conn.fd >= 0, "cannot connect to the server")) return;
        send_all(conn.fd, req + get_request("/sub/a.txt"));
        auto got = read_response(conn.fd, conn.buf);
        if (r.expect_reply(req, got, 416))
            expect_header(r, printable(req) + ": Content-Range", got->content_range, "bytes */19");
        r.expect_reply("the request after a 416 on the same connection",
                       read_response(conn.fd, conn.buf), 200, "a\n");
    }
    // The whole file: several ranges (§14.2 allows it), a range that is
    // not valid (ignored), another unit, an If-Range naming another
    // version, and HEAD (ranges are defined for GET only).
    for (std::string headers :
         {std::string("Range: bytes=0-1,5-6\r\n"), std::string("Range: bytes=5-2\r\n"),
          std::string("Range: bytes=x-y\r\n"), std::string("Range: lines=1-2\r\n"),
          std::string("Range: bytes=0-4\r\nIf-Range: \"other\"\r\n"),
          fmt::format("Range: bytes=0-4\r\nIf-Range: W/{}\r\n", etag),
          std::string("Range: bytes=0-4\r\nIf-Range: Thu, 01 Jan 1970 00:00:00 GMT\r\n")}) {
        const std::string req = get_request("/small.txt", headers);
        r.expect_reply(req, exchange(port, req), 200, kSmall);
    }
    for (std::string if_range : {etag, modified}) {
        const std::string req =
            get_request("/small.txt", "Range: bytes=0-4\r\nIf-Range: " + if_range + "\r\n");
        r.expect_reply(req, exchange(port, req), 206, kSmall.substr(0, 5));
    }
    const std::string head_range = get_request("/small.txt", "Range: bytes=0-4\r\n", "HEAD");
    auto hr = exchange(port, head_range, true);
    if (r.expect_reply(head_range, hr, 200, ""))
        r.check(hr->content_length == int64_t(kSmall.size()),
                fmt::format("{}: Content-Length {}, expected {}", printable(head_range),
                            hr->content_length, kSmall.size()));

    // A part from the middle of the 4 MiB file ("ABC...Z" repeated).
    const uint64_t first = 3 * 1000 * 1000 + 7, count = 100 * 1000;
    const std::string req =
        get_request("/big.bin", fmt::format("Range: bytes={}-{}\r\n", first, first + count - 1));
    auto big = exchange(port, req);
    if (r.expect_reply(req, big, 206)) {
        bool same = big->body.size() == count;
        for (size_t i = 0; same && i < count; ++i)
            same = big->body[i] == char('A' + (first + i) % 26);
        r.check(same, printable(req) + ": not the bytes of the file at that offset");
        expect_header(
            r, printable(req) + ": Content-Range", big->content_range,
            fmt::format("bytes {}-{}/{}", first, first + count - 1, ServedTree::kBigBytes));
    }
}

void check_file_changed_on_disk(int port, const ServedTree& tree, Report& r) {
    const std::string path = tree.root + "/changing.txt";
    auto write = [&](std::string_view text) {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << text;
    };
    write("first version\n");
    const std::string req = get_request("/changing.txt");
    auto one = exchange(port, req);
    if (!r.expect_reply(req, one, 200, "first version\n")) return;
    exchange(port, req);  // surely cached now
    write("the second version, longer\n");
    // A cached file is checked against the disk at most every 100 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto two = exchange(port, req);
    if (!r.expect_reply(req + " (after the file changed on disk)", two, 200,
                        "the second version, longer\n"))
        return;
    r.check(two->etag != one->etag, "the file changed on disk but its ETag did not");
    const std::string stale = get_request("/changing.txt", "If-None-Match: " + one->etag + "\r\n");
    r.expect_reply(stale + " (the old version's tag)", exchange(port, stale), 200,
                   "the second version, longer\n");
    unlink(path.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    r.expect_reply(req + " (after the file was removed)", exchange(port, req), 404);
}

void check_directory_listing(int port, Report& r) {
    const std::string req = get_request("/sub/");
    auto got = exchange(port, req);
    const std::string expected =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of /sub/</title>"
        "</head>\n<body><h1>Index of /sub/</h1>\n<ul>\n"
        "<li><a href=\"../\">../</a></li>\n"
        "<li><a href=\"a.txt\">a.txt</a></li>\n"
        "<li><a href=\"b%26%3Ci%3E.txt\">b&amp;&lt;i&gt;.txt</a></li>\n"
        "<li><a href=\"deeper/\">deeper/</a></li>\n"
        "</ul></body></html>\n";
    if (r.expect_reply(req, got, 200, expected))
        expect_header(r, "GET /sub/: Content-Type", got->content_type, "text/html; charset=utf-8");
    // A listed name leads to its file; a directory with an index is not
    // listed; the listing of an empty directory has only the way up.
    r.expect_reply("GET /sub/b%26%3Ci%3E.txt", get(port, "/sub/b%26%3Ci%3E.txt"), 200, "b\n");
    r.expect_reply("GET /docs/", get(port, "/docs/"), 200, ServedTree::kDocsIndexHtml);
    auto empty = get(port, "/sub/deeper/");
    if (r.expect_reply("GET /sub/deeper/", empty, 200))
        r.check(empty->body.find("<li>") == empty->body.rfind("<li>"),
                "GET /sub/deeper/: an empty directory lists more than ../");
    r.expect_reply("GET /sub (no slash)", get(port, "/sub"), 301);
}

void check_no_validators(int port, Report& r) {
    const std::string req = get_request("/small.txt", "Range: bytes=0-4\r\nIf-None-Match: *\r\n");
    auto got = exchange(port, req);
    if (!r.expect_reply(req + " (validators off)", got, 200, kSmall)) return;
    r.check(got->etag.empty() && got->last_modified.empty() && got->accept_ranges.empty(),
            "validators off, yet the reply has ETag, Last-Modified or Accept-Ranges");
}

}  // namespace ptv::servers::conformance
