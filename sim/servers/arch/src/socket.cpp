// Listening, accepting, descriptor limits (see socket.hpp).
#include "ptv/servers/arch/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "ptv/common/error.hpp"

namespace ptv::servers::arch {

int listen_on(const std::string& host, int port) {
    if (port < 0 || port > 65535)
        throw UsageError(fmt::format("--port {}: give 0 (any free port) to 65535", port));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    if (host == "*" || host == "0.0.0.0")
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (host == "localhost")
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        throw UsageError(fmt::format(
            "--host {}: not an IPv4 address; give one like 127.0.0.1, or * for every address",
            host));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw UsageError(fmt::format("cannot make a socket: {}", std::strerror(errno)));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        close(fd);
        if (err == EADDRINUSE)
            throw UsageError(fmt::format(
                "port {} is in use; pick another with --port (0 = any free port)", port));
        if (err == EACCES)
            throw UsageError(
                fmt::format("port {} needs privileges; pick one above 1023 with --port", port));
        throw UsageError(fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(err)));
    }
    // The kernel caps the backlog at net.core.somaxconn.
    if (listen(fd, 65535) != 0) {
        int err = errno;
        close(fd);
        throw UsageError(fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(err)));
    }
    return fd;
}

int bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
    return ntohs(addr.sin_port);
}

void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

uint64_t set_fd_limit(int max_fds) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (max_fds > 0) {
        rl.rlim_cur = rlim_t(max_fds);
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
    } else {
        rl.rlim_cur = rl.rlim_max;
    }
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

Acceptor::Acceptor(int listen_fd) : listen_fd_(listen_fd) {
    spare_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

Acceptor::~Acceptor() {
    if (spare_ >= 0) close(spare_);
}

Acceptor::Result Acceptor::accept() {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;  // replies are written whole: do not wait to coalesce
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return {Kind::Accepted, fd};
        }
        switch (errno) {
            case EINTR:
            case ECONNABORTED:  // the client gave up while queued
            case EPROTO:
                continue;
            case EAGAIN:
                return {Kind::None};
            case EMFILE:
            case ENFILE: {
                if (spare_ < 0) {
                    spare_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
                    return {Kind::Backoff};
                }
                // (Linux reports EMFILE before it looks at the queue, so the
                // queue may be empty: then there is nothing to drop.)
                close(spare_);
                spare_ = -1;
                fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
                int err = errno;
                if (fd >= 0) close(fd);
                spare_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0) return {Kind::Dropped};
                return {err == EAGAIN ? Kind::None : Kind::Backoff};
            }
            default:  // ENOBUFS, ENOMEM, ...
                return {Kind::Backoff};
        }
    }
}

}  // namespace ptv::servers::arch
