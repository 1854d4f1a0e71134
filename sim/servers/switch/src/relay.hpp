// One relayed connection: the client's socket, the server's, and the bytes
// in flight between them, one Flow per direction. Private to the switch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ptv::servers::frontend {

struct Relay;

// What an epoll event is about (epoll_event::data.ptr points at one).
struct Endpoint {
    enum class Kind : uint8_t { Listener, Stop, Timer, Client, Server, Check };
    Kind kind;
    Relay* relay = nullptr;  // Client, Server
    size_t backend = 0;      // Check
};

// One direction of a relay. Bytes are read into the loop's scratch buffer
// and written on at once; only what the destination would not take is kept
// (`pending`), and the source is not read again until it has gone, so a
// slow reader holds back its writer (TCP's flow control, end to end) and an
// idle relay holds no buffer.
struct Flow {
    std::unique_ptr<char[]> pending;
    size_t pending_size = 0, pending_at = 0;
    bool eof = false;   // the source has half-closed
    bool shut = false;  // ... and that was passed on: shutdown(destination, SHUT_WR)
    std::atomic<uint64_t>* bytes = nullptr;  // the back end's counter for this direction

    bool done() const { return shut; }
};

enum class PumpResult { Ok, Failed };

// Moves bytes from `src` to `dst` until `src` has no more for now, `dst`
// takes no more, or `src` has ended (then passes the half-close on).
// `drain`: read until EAGAIN even after a short read (the event said the
// peer closed, or nothing is known); otherwise a short read ends the turn
// (edge-triggered epoll reports any later arrival). Failed: a reset or
// another error on either socket.
PumpResult pump(Flow& f, int src, int dst, std::span<char> scratch, bool drain);

struct Relay {
    enum class State : uint8_t { Connecting, Relaying };
    uint64_t serial = 0;
    uint32_t client_ip = 0;
    int client = -1, server = -1;
    size_t backend = 0;  // valid once server >= 0
    State state = State::Connecting;
    uint32_t attempt = 0;  // connection attempts to servers so far
    Flow up, down;         // client -> server, server -> client
    Endpoint client_end{Endpoint::Kind::Client, this}, server_end{Endpoint::Kind::Server, this};

    bool finished() const { return up.done() && down.done(); }
};

}  // namespace ptv::servers::frontend
