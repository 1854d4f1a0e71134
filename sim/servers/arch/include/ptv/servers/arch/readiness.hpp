// Connections that have not yet said a word. Fig. 3-3's dispatcher hands a
// worker a *request*: a connection that was accepted but may never speak
// must not take a worker (a thread, a process) while it is silent, or as
// many silent connections as there are workers stop the service. So an
// accepted connection waits here, in an epoll set, until it becomes
// readable (its first bytes, its end or an error: the session then deals
// with it at once); one that stays silent for the timeout is closed
// without a reply (no request started, so no 408) and counted as too slow.
//
// Every connection gets the same timeout, so deadlines come in the order
// connections arrive: a FIFO of (deadline, connection) is the timer, and a
// connection that leaves early is deleted lazily -- its FIFO entry is
// skipped when it comes up. A connection costs a descriptor, an epoll entry
// and a few bytes; thousands are cheap.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "ptv/servers/arch/request_log.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

class ReadinessLoop {
  public:
    // Silent connections are closed after `first_byte_timeout`, counted in
    // counters.timeouts.
    ReadinessLoop(std::chrono::milliseconds first_byte_timeout, SharedCounters& counters);
    ~ReadinessLoop();  // closes the connections still waiting
    ReadinessLoop(const ReadinessLoop&) = delete;
    ReadinessLoop& operator=(const ReadinessLoop&) = delete;

    // The epoll set: readable while a waiting connection is readable, so an
    // outer epoll or poll can wait on it beside other descriptors.
    int fd() const { return ep_; }

    // Takes connection `fd` (non-blocking, just accepted) to wait for its
    // first byte.
    void add(int fd);
    // Accepts every connection queued on the listening socket (never
    // waits) and add()s it; a connection dropped for lack of descriptors
    // is counted in counters.dropped_accepts. False when out of
    // descriptors with no spare: the caller stops watching the listening
    // socket for a while, or its wait would spin.
    bool accept_from(Acceptor& acceptor);

    struct Ready {
        int fd;
        uint64_t ready_ns;  // when it was seen readable: its first request's arrival
    };
    // Without blocking: moves the connections that are readable now, up to
    // `max` of them, out of the set into `out` (the caller owns them), and
    // closes those silent past their deadline. Readable connections left in
    // the set keep fd() readable: a worker that takes one at a time can
    // watch fd() to learn that others wait.
    void collect(std::vector<Ready>& out, size_t max = SIZE_MAX);

    // The earliest deadline of a waiting connection (ptv::now_ns), or
    // UINT64_MAX: when collect() must run next even if nothing is readable.
    uint64_t next_deadline() const;
    // Milliseconds a poll()/epoll_wait() may sleep before collect() must
    // run: until the earlier of next_deadline() and `also_by` (ns; e.g. the
    // end of an accept back-off); -1 for no limit.
    int wait_ms(uint64_t also_by = UINT64_MAX) const;
    // Connections waiting.
    size_t waiting() const { return waiting_; }

  private:
    void expire(uint64_t now);

    struct Entry {
        uint64_t deadline;
        int fd;
        uint64_t serial;  // which connection on that descriptor
    };
    int ep_;
    uint64_t timeout_ns_;
    SharedCounters& counters_;
    std::deque<Entry> deadlines_;    // in deadline order
    std::vector<uint64_t> serials_;  // by fd: the waiting connection's serial, 0 if none
    uint64_t next_serial_ = 1;
    size_t waiting_ = 0;
};

}  // namespace ptv::servers::arch
