// The control channel between `ptv` (or the management service) and a
// worker process: a Unix stream socket, one JSON object per line.
//   to the worker:   {"type":"stop"}  {"type":"status"}  {"type":"pause"}
//                    {"type":"resume"}  {"type":"snapshot","dir":DIR}
//                    {"type":"input","data":BYTES}
//   from the worker: {"type":"started",...}  {"type":"status",...}
//                    {"type":"paused"} {"type":"resumed"} {"type":"snapshot",...}
//                    {"type":"console","data":BYTES}
//                    {"type":"result",...}   {"type":"error","status":2,"message":...}
// BYTES: raw bytes as a JSON string, one code point per byte (U+0000 to
// U+00FF, i.e. Latin-1), so any byte survives JSON's UTF-8 (bytes_to_text).
// Replies carry the request's "id" when it had one.
//
// Two ways to connect: an inherited socket (fd 3 from `ptv kvm run`: the
// worker stops when it hangs up), or a listening socket (--listen-fd, from
// the management service: the worker keeps running when its service goes
// away and serves the next one that connects, which is how a restarted
// service re-adopts its VMs). The worker reads it on a thread of its own;
// the vCPU thread never waits for it.
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace ptv::worker {

// Writes one message; returns false if the peer is gone. With
// `drop_if_full`, a message the socket has no room for at all is dropped
// (false) instead of waited for: console output must not stall the guest.
bool send_message(int fd, const nlohmann::json& message, bool drop_if_full = false);

// Raw bytes <-> a JSON string of one code point per byte (see above).
std::string bytes_to_text(std::string_view bytes);
std::string text_to_bytes(const std::string& text);

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
    // Listening mode: serves `fd` (already accepted, may be -1), then each
    // connection accepted on `listen_fd`, one at a time (a new one replaces
    // the old); `on_connect` runs for each new peer, `on_hangup` when one
    // goes, `on_tick` once a second.
    ControlChannel(int fd, int listen_fd, Handler on_request, std::function<void()> on_hangup,
                   std::function<void(ControlChannel&)> on_connect,
                   std::function<void(ControlChannel&)> on_tick);
    ~ControlChannel();  // stops the thread (does not close fd)

    // False when no peer is connected or it went away.
    bool send(const nlohmann::json& message, bool drop_if_full = false);
    bool connected();

  private:
    void serve();

    int fd_;
    int listen_fd_ = -1;
    int wake_fd_;
    Handler on_request_;
    std::function<void()> on_hangup_;
    std::function<void(ControlChannel&)> on_connect_, on_tick_;
    std::mutex send_lock_;
    std::thread thread_;
};

}  // namespace ptv::worker
