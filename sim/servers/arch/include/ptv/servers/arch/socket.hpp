// Sockets for the servers: listening, accepting without spinning when file
// descriptors run out, and the descriptor limit.
#pragma once

#include <cstdint>
#include <string>

namespace ptv::servers::arch {

// A non-blocking TCP socket listening on HOST:PORT (an IPv4 address,
// "localhost" or "*"; PORT 0 = any free port) with SO_REUSEADDR and the
// largest backlog the kernel allows. Throws ptv::UsageError: port in use,
// no permission, bad host.
int listen_on(const std::string& host, int port);
// The port a socket is bound to.
int bound_port(int fd);
void set_nonblocking(int fd);

// Raises RLIMIT_NOFILE to its hard limit (10,000 connections need 10,000
// descriptors), or lowers it to `max_fds` when that is positive. Returns the
// limit now in force.
uint64_t set_fd_limit(int max_fds);

// accept4() that survives running out of descriptors. When accept fails
// with EMFILE/ENFILE the pending connection stays in the queue, so the
// listening socket stays readable and a poll loop would spin at 100% CPU.
// The classic fix (libev, nginx's "accept mutex" aside): keep one spare
// descriptor; on EMFILE close it, accept the connection, close that at once
// (the client sees the connection closed rather than waiting forever),
// and take the spare back.
class Acceptor {
  public:
    explicit Acceptor(int listen_fd);
    ~Acceptor();
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    enum class Kind : uint8_t {
        Accepted,  // fd is a new non-blocking connection
        None,      // nothing waiting (EAGAIN) -- wait for the listening socket
        Dropped,   // out of descriptors: one connection was accepted and closed
        Backoff    // out of descriptors or memory and no spare: wait a little
    };
    struct Result {
        Kind kind;
        int fd = -1;
    };
    Result accept();
    int listen_fd() const { return listen_fd_; }

  private:
    int listen_fd_;
    int spare_ = -1;
};

}  // namespace ptv::servers::arch
