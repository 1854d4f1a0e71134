// A small raw HTTP client for checking servers: responses are framed by the
// same libhttp-parser as the servers use, so a framing mistake of a server
// still shows as a wrong status or body. Blocking sockets with timeouts;
// every call returns (never hangs on a server that misbehaves).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ptv/servers/http/request.hpp"

namespace ptv::servers::conformance {

// A blocking TCP connection to 127.0.0.1:port (send and receive timeouts
// 5 s, TCP_NODELAY so that each send leaves at once); -1 if refused.
int connect_to(int port);
void send_all(int fd, std::string_view bytes);
// Reads one response (HEAD: no body) from fd, keeping extra bytes in
// `buffer` for the next one; nullopt on timeout, reset or a malformed
// response. `bytes_seen`, if given: how many bytes of it arrived (0: none).
std::optional<http::Response> read_response(int fd, std::string& buffer, bool head = false,
                                            double timeout_s = 5, size_t* bytes_seen = nullptr);
// True if the peer closes (EOF or reset) within timeout_s, having sent
// nothing more.
bool closed_by_peer(int fd, double timeout_s);
// connect, send `request`, read one response, close.
std::optional<http::Response> exchange(int port, std::string_view request, bool head = false);
// "GET PATH HTTP/1.1" with a Host header (and `extra` header lines).
std::string get_request(std::string_view path, std::string_view extra = {},
                        std::string_view method = "GET");

// Opens `n` connections (in waves of 2,000, each answered before the next,
// so that the kernel's accept backlog does not overflow), sends one
// keep-alive GET of /small.txt on each and reads the responses, keeping
// every connection open until the end (unless the server closes it after
// its response). Returns how many were answered 200 with the right body.
int many_concurrent_requests(int port, int n, double timeout_s);

}  // namespace ptv::servers::conformance
