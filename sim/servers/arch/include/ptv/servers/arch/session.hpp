// One connection served with blocking-style code: read a request, plan it,
// read the disk, send the reply, again while the connection is kept alive.
// Every architecture but the finite-state machine runs this; they differ
// in who runs it (the one thread, a thread per connection, a pool worker,
// a child process, a fiber) and in how it waits (the Waiter).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "ptv/servers/arch/request_log.hpp"
#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/service.hpp"

namespace ptv::servers::arch {

// How a connection waits for its socket: poll() for kernel threads and
// processes, the event loop for fibers. Sockets are non-blocking; a
// session waits only after EAGAIN.
class Waiter {
  public:
    virtual ~Waiter() = default;
    enum class Result : uint8_t {
        Ready,     // the socket is ready (or has an error to report)
        Timeout,   // the deadline passed
        Stop,      // the server is stopping
        Contended  // others wait for this worker (asked for with `shed`)
    };
    // Waits for POLLIN or POLLOUT on fd until deadline_ns (ptv::now_ns).
    // With `shed`, also returns Contended as soon as other connections wait
    // for this worker (an idle keep-alive connection then gives way).
    virtual Result wait(int fd, short events, uint64_t deadline_ns, bool shed) = 0;
    // Do other connections wait for this worker right now?
    virtual bool contended() = 0;
};

// poll() on the socket, the stop eventfd and, if not -1, a descriptor that
// is readable while other connections wait (the listening socket for the
// iterative server; a prefork child's epoll set of the listening socket and
// its connections that have spoken; the dispatcher's queue for its workers).
class PollWaiter final : public Waiter {
  public:
    PollWaiter(int stop_fd, int contention_fd) : stop_fd_(stop_fd), contention_fd_(contention_fd) {}
    Result wait(int fd, short events, uint64_t deadline_ns, bool shed) override;
    bool contended() override;

  private:
    int stop_fd_, contention_fd_;
};

using DiskAccess = std::function<http::DiskRead(const std::string& path)>;

struct Session {
    Waiter& waiter;
    http::Service& service;
    DiskAccess read_disk;  // blocking read, or a helper thread's
    SharedCounters& counters;
    RequestLog* log;  // null: not tracing
    std::chrono::milliseconds timeout;
};

// Serves connection `fd` until the client closes it, it is too slow
// (timeout: 408 if a request was under way), the server sheds it or stops.
// Closes fd. `accepted_ns`: when it arrived -- accepted, or, where a
// readiness loop held it until its first byte, first seen readable;
// `started_ns`: when this worker took it up (the difference is the
// dispatcher's queue).
void serve_connection(int fd, const Session& s, uint64_t accepted_ns, uint64_t started_ns);

// Sends bytes on a non-blocking socket, waiting through `waiter`; false if
// the client is gone, too slow or the server stops.
bool send_all(int fd, std::string_view head, std::string_view body, Waiter& waiter,
              std::chrono::milliseconds timeout);

// Half-closes and reads what the client still sends for a moment, then
// closes: closing with unread bytes would reset the connection and could
// destroy the reply (an error reply to a request the client is still
// sending, RFC 9112 §9.6).
void lingering_close(int fd, Waiter& waiter);

// The kernel thread id (or process id) recorded as the worker.
uint32_t worker_id();

}  // namespace ptv::servers::arch
