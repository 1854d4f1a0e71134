// Addresses and the listening socket (see address.hpp).
#include "ptv/servers/switch/address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ptv/common/error.hpp"

namespace ptv::servers::frontend {

std::string Address::host() const {
    return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

std::string Address::text() const {
    return fmt::format("{}:{}", host(), port);
}

sockaddr_in Address::sockaddr() const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(port);
    return a;
}

Address parse_address(const std::string& text, const std::string& option, bool listening) {
    const std::string example =
        listening ? "127.0.0.1:8000 (port 0: any free port)" : "127.0.0.1:8081";
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos)
        throw UsageError(
            fmt::format("{} {}: not ADDR:PORT; give one like {}", option, text, example));
    const std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
    char* end = nullptr;
    const long port = port_text.empty() ? -1 : std::strtol(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end != '\0' || port < (listening ? 0 : 1) || port > 65535)
        throw UsageError(fmt::format("{} {}: the port must be a number from {} to 65535", option,
                                     text, listening ? 0 : 1));
    Address a;
    a.port = uint16_t(port);
    in_addr in{};
    if (host == "localhost")
        a.ip = INADDR_LOOPBACK;
    else if (listening && (host == "*" || host == "0.0.0.0"))
        a.ip = INADDR_ANY;
    else if (inet_pton(AF_INET, host.c_str(), &in) == 1 && in.s_addr != 0)
        a.ip = ntohl(in.s_addr);
    else
        throw UsageError(fmt::format("{} {}: '{}' is not an IPv4 address; give one like {}", option,
                                     text, host, example));
    return a;
}

int listen_socket(const Address& at, const std::string& option) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw UsageError(fmt::format("cannot make a socket: {}", std::strerror(errno)));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in a = at.sockaddr();
    if (bind(fd, reinterpret_cast<const ::sockaddr*>(&a), sizeof a) != 0 ||
        listen(fd, 65535) != 0) {  // the kernel caps the backlog at net.core.somaxconn
        const int err = errno;
        close(fd);
        if (err == EADDRINUSE)
            throw UsageError(
                fmt::format("{} {}: the port is in use; pick another (port 0: any free port)",
                            option, at.text()));
        if (err == EACCES)
            throw UsageError(fmt::format("{} {}: the port needs privileges; pick one above 1023",
                                         option, at.text()));
        throw UsageError(
            fmt::format("{} {}: cannot listen there: {}", option, at.text(), std::strerror(err)));
    }
    return fd;
}

}  // namespace ptv::servers::frontend
