// The worker's live trace (docs/DESIGN.md, "The trace": live, the same events one
// per line on a Unix socket): a thread that drains the dispatcher's record
// buffer every few milliseconds while the guest runs and writes each new
// exit, notification and flow as a JSON line. Off the exit path: the vCPU
// only publishes records (RecordBuffer::publish), it never waits for us.
//
// Two ways to be read: an inherited descriptor (`ptv kvm run --viz` hands
// one end of a socket pair to ptv-viz), or a listening Unix socket
// (--trace-socket PATH, for `ptv viz --connect PATH`) where every client
// gets the whole log from the start. The socket file is removed at the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ptv/vnd/dispatcher.hpp"

namespace ptv::worker {

class TraceStream {
  public:
    struct Options {
        int fd = -1;              // an already connected stream, or -1
        std::string socket_path;  // listen here, or ""
        std::string vm_name;
        int worker_pid = 0;
        uint64_t t0_ns = 0;  // the trace's time zero
    };
    // Throws ptv::UsageError if the socket cannot be created.
    TraceStream(const vnd::NotificationDispatcher& dispatcher, Options options);
    // Sends what is left, closes every client, removes the socket file.
    ~TraceStream();
    void start();
    void stop();

  private:
    struct Client;
    void loop();
    void drain();
    void accept_clients();

    const vnd::NotificationDispatcher& dispatcher_;
    Options options_;
    int listen_fd_ = -1;
    std::vector<std::unique_ptr<Client>> clients_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace ptv::worker
