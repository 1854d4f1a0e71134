// Replies on the wire (see reply.hpp).
#include "ptv/servers/http/reply.hpp"

#include <fmt/format.h>

#include <ctime>

namespace ptv::servers::http {

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 206:
            return "Partial Content";
        case 301:
            return "Moved Permanently";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 416:
            return "Range Not Satisfiable";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

Reply error_reply(int status, std::string_view detail) {
    Reply r;
    r.status = status;
    std::string text = fmt::format("{} {}\n", status, reason_phrase(status));
    if (!detail.empty()) text += fmt::format("{}\n", detail);
    r.body = std::make_shared<const std::string>(std::move(text));
    r.close = status == 400 || status == 408 || status == 413 || status == 414 || status == 431 ||
              status == 501 || status == 505;
    return r;
}

std::string_view http_date() {
    thread_local time_t cached_second = -1;
    thread_local char text[64];
    time_t now = time(nullptr);
    if (now != cached_second) {
        tm t;
        gmtime_r(&now, &t);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &t);
        cached_second = now;
    }
    return text;
}

std::string render_head(const Reply& reply, const Request& request, bool keep_alive) {
    std::string head;
    head.reserve(256 + reply.extra_headers.size());
    fmt::format_to(std::back_inserter(head), "HTTP/1.1 {} {}\r\nServer: ptvlab\r\nDate: {}\r\n",
                   reply.status, reason_phrase(reply.status), http_date());
    if (!reply.not_modified)
        fmt::format_to(std::back_inserter(head), "Content-Type: {}\r\nContent-Length: {}\r\n",
                       reply.content_type, reply.body_size());
    if (reply.validators) head += reply.validators->header_lines;
    if (!keep_alive)
        head += "Connection: close\r\n";
    else if (request.version_minor == 0)
        head += "Connection: keep-alive\r\n";
    head += reply.extra_headers;
    head += "\r\n";
    return head;
}

}  // namespace ptv::servers::http
