// The kit's side of the I/O cases: pipes and sockets that close themselves,
// and a kernel thread that acts on one after a delay (the "outside world"
// the user-level threads wait for).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace uthread::lab {

// A pipe; both ends closed by the destructor unless closed before.
struct Pipe {
    Pipe();
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read();
    void close_write();
    int rd = -1, wr = -1;
};

// A listening TCP socket on 127.0.0.1 and a kernel port chosen by the kernel.
struct Listener {
    Listener();
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    int fd = -1;
    int port = 0;
};

// Runs `action` on a kernel thread of its own after `delay`; the destructor
// waits for it.
class Later {
  public:
    Later(std::chrono::milliseconds delay, std::function<void()> action);
    ~Later();
    Later(const Later&) = delete;
    Later& operator=(const Later&) = delete;

  private:
    std::thread thread_;
};

// Writes all of [data, data + size) with plain blocking writes; false on
// an error.
bool write_all(int fd, const void* data, size_t size);

// Connects to 127.0.0.1:port with a blocking connect; -1 on an error.
int connect_local(int port);

}  // namespace uthread::lab
