// IPv4 endpoints of the switch: where it listens and its back ends, as
// "ADDR:PORT" on the command line.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace ptv::servers::frontend {

struct Address {
    uint32_t ip = 0;  // host byte order
    uint16_t port = 0;

    std::string host() const;  // "127.0.0.1"
    std::string text() const;  // "127.0.0.1:8081"
    sockaddr_in sockaddr() const;
    bool operator==(const Address&) const = default;
};

// "ADDR:PORT" with ADDR an IPv4 address or localhost (and, where the switch
// listens, * or 0.0.0.0 for every address; PORT 0 for any free port).
// Throws ptv::UsageError naming `option`.
Address parse_address(const std::string& text, const std::string& option, bool listening);

// A non-blocking, close-on-exec TCP socket listening on `at`. Throws
// ptv::UsageError (port in use, no permission) naming `option`.
int listen_socket(const Address& at, const std::string& option);

}  // namespace ptv::servers::frontend
