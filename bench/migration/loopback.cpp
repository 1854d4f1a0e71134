#include "loopback.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"

namespace ptv::bench {

namespace {

constexpr size_t kChunk = 4u << 20;  // big writes: migration streams are bulk

// Closes its descriptor however the measurement ends.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(fmt::format("loopback bandwidth: {}: {}", what, std::strerror(errno)));
}

}  // namespace

double loopback_bandwidth(uint64_t bytes) {
    Fd listener, writer, reader;
    listener.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener.fd < 0) fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail("bind");
    if (::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
        fail("getsockname");
    if (::listen(listener.fd, 1) < 0) fail("listen");
    writer.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (writer.fd < 0) fail("socket");
    if (::connect(writer.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail("connect");
    reader.fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (reader.fd < 0) fail("accept");

    const std::vector<char> out(kChunk, 'm');
    int write_errno = 0;
    const uint64_t t0 = now_ns();
    std::thread pusher([&] {
        for (uint64_t done = 0; done < bytes;) {
            const ssize_t n = ::send(writer.fd, out.data(),
                                     std::min<uint64_t>(kChunk, bytes - done), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                write_errno = errno;
                break;
            }
            done += uint64_t(n);
        }
        ::shutdown(writer.fd, SHUT_WR);
    });
    std::vector<char> in(kChunk);
    uint64_t received = 0;
    for (;;) {
        const ssize_t n = ::recv(reader.fd, in.data(), in.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        received += uint64_t(n);
    }
    const uint64_t t1 = now_ns();
    pusher.join();
    if (write_errno || received != bytes) {
        errno = write_errno;
        fail("transfer cut short");
    }
    return double(bytes) / (double(t1 - t0) / 1e9);
}

}  // namespace ptv::bench
