// A reply and how it goes on the wire: the status line and headers are
// rendered into one string; the body is shared (a cached file is sent from
// the cache, never copied per request).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ptv/servers/http/request.hpp"
#include "ptv/servers/http/validators.hpp"

namespace ptv::servers::http {

struct Reply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::shared_ptr<const std::string> body;       // null = empty
    std::string extra_headers;                     // whole lines: "Set-Cookie: a=b\r\n"
    std::shared_ptr<const Validators> validators;  // a file's Last-Modified and ETag; null: none
    // 304 Not Modified: no Content-Type or Content-Length (RFC 9110 §15.4.5:
    // the reply describes no content of its own) and no body.
    bool not_modified = false;
    bool close = false;  // the server closes the connection after it

    size_t body_size() const { return body ? body->size() : 0; }
};

// "Not Found" for 404; "Unknown" for a status we never send.
std::string_view reason_phrase(int status);

// A short text reply for an error status ("404 Not Found\n" plus `detail`).
// 400, 408, 413, 414, 431, 501 and 505 close the connection: after them the
// rest of the stream cannot be trusted.
Reply error_reply(int status, std::string_view detail = {});

// The status line and headers. `keep_alive` is the server's decision for
// this connection (the client asked for it, the reply does not close, and
// the server is not shedding the connection); HTTP/1.0 clients get an
// explicit "Connection: keep-alive". The Date header is cached per second.
std::string render_head(const Reply& reply, const Request& request, bool keep_alive);

// The current time as an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT"),
// formatted once per second per thread.
std::string_view http_date();

}  // namespace ptv::servers::http
