// The control channel between `ptv` (or the management service) and a
// worker process: a Unix stream socket, one JSON object per line.
//   to the worker:   {"type":"stop"}  {"type":"status"}
//   from the worker: {"type":"started",...}  {"type":"status",...}
//                    {"type":"result",...}   {"type":"error","status":2,"message":...}
// The worker reads it on a thread of its own; the vCPU thread never waits
// for it.
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace ptv::worker {

// Writes one message; returns false if the peer is gone.
bool send_message(int fd, const nlohmann::json& message);

// Reads newline-delimited JSON messages from a socket.
class MessageReader {
  public:
    explicit MessageReader(int fd) : fd_(fd) {}
    // Next message; false at end of stream. Malformed lines are skipped.
    bool next(nlohmann::json& message);
    // For a poll loop: one read() (false at end of stream), then pop() the
    // complete messages it brought until pop() returns false.
    bool read_once();
    bool pop(nlohmann::json& message);

  private:
    int fd_;
    std::string buffer_;
};

class ControlChannel {
  public:
    using Handler = std::function<void(const nlohmann::json& request, ControlChannel& channel)>;

    // Serves requests on `fd` on a thread; `on_request` gets each one,
    // `on_hangup` runs if the peer goes away.
    ControlChannel(int fd, Handler on_request, std::function<void()> on_hangup);
    ~ControlChannel();  // stops the thread (does not close fd)

    void send(const nlohmann::json& message);

  private:
    void serve();

    int fd_;
    int wake_fd_;
    Handler on_request_;
    std::function<void()> on_hangup_;
    std::mutex send_lock_;
    std::thread thread_;
};

}  // namespace ptv::worker
