// An HTTP/1.1 request and the incremental parser every server architecture
// feeds with the bytes it reads (RFC 9112 framing through libhttp-parser, so
// the framing is not hand-written).
//
// The parser takes bytes as they arrive, in any pieces, and stops at the end
// of one request, so that the caller keeps what follows (pipelining). It
// decides the error statuses the robustness rules ask for:
//   400 malformed request, missing Host in HTTP/1.1
//   413 a body over kMaxBodyBytes (GET and HEAD bodies are read and dropped)
//   414 a request line that is still going at kMaxHeadBytes (RFC 9112 §3)
//   431 a request line plus headers over kMaxHeadBytes
//   501 any method but GET and HEAD (a well-formed token we do not implement),
//       a transfer coding other than chunked (RFC 9112 §6.1)
//   505 an HTTP major version other than 1
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ptv::servers::http {

inline constexpr size_t kMaxHeadBytes = 8 * 1024;   // request line + headers
inline constexpr size_t kMaxBodyBytes = 64 * 1024;  // a GET/HEAD body we read and drop

enum class Method : uint8_t { Get, Head, Other };

struct Request {
    Method method = Method::Other;
    std::string target;  // the request-target as sent ("/a%20b?x=1")
    int version_major = 1, version_minor = 1;
    bool keep_alive = true;  // what the client asked for (Connection, version)
    std::string host;
    std::string cookie;  // the Cookie header ("" if none)
    // The conditional and range request headers (RFC 9110 §13, §14), as
    // sent ("" if absent); representation.hpp decides what they mean.
    std::string if_none_match, if_modified_since, range, if_range;
};

// Parses one request at a time from a byte stream.
class RequestParser {
  public:
    RequestParser();
    ~RequestParser();
    RequestParser(RequestParser&&) noexcept;
    RequestParser& operator=(RequestParser&&) noexcept;

    enum class Status : uint8_t {
        NeedMore,  // every byte was consumed; the request is not complete yet
        Complete,  // request() is ready; `consumed` bytes belonged to it
        Error      // `error_status` says which reply to send before closing
    };
    struct Outcome {
        Status status;
        size_t consumed = 0;
        int error_status = 0;
    };

    // Feeds the next bytes of the stream. After Complete, call reset()
    // before feeding the bytes that were not consumed. After Error the
    // connection is answered and closed; further feeding is an error again.
    Outcome feed(std::string_view bytes);
    // Ready for the next request on the same connection.
    void reset();
    // True once any byte of the current request has been fed (a connection
    // that times out mid-request gets 408; an idle one is just closed).
    bool started() const { return started_; }
    const Request& request() const { return request_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Request request_;
    bool started_ = false;
};

// A response as the load generator and the tests read it: the status, the
// headers that matter and the body, framed by libhttp-parser (Content-Length,
// chunked, or up to the end of the connection).
struct Response {
    int status = 0;
    bool keep_alive = true;
    std::string content_type, set_cookie, connection;
    std::string etag, last_modified, accept_ranges, content_range, location;
    int64_t content_length = -1;  // the header's value; -1 if absent
    std::string body;
};

class ResponseParser {
  public:
    // `head_request`: the response answers a HEAD (no body follows).
    explicit ResponseParser(bool head_request = false);
    ~ResponseParser();
    ResponseParser(ResponseParser&&) noexcept;
    ResponseParser& operator=(ResponseParser&&) noexcept;

    enum class Status : uint8_t { NeedMore, Complete, Error };
    struct Outcome {
        Status status;
        size_t consumed = 0;
    };
    Outcome feed(std::string_view bytes);
    // The connection ended: completes a response framed by the end of the
    // connection; anything else cut short is an error.
    Status finish();
    // The next response on the same connection.
    void reset(bool head_request = false);
    const Response& response() const { return response_; }
    // Keep the body's length but not its bytes (the load generator).
    void discard_body(bool discard) { discard_body_ = discard; }
    size_t body_bytes() const { return body_bytes_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Response response_;
    bool discard_body_ = false;
    size_t body_bytes_ = 0;
};

}  // namespace ptv::servers::http
