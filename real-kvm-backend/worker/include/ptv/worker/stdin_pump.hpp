// Feeds the worker's standard input to the UART's receiver, on a thread of
// its own, so a guest with a serial driver can be typed at. A terminal
// stays in its usual line mode: the guest sees a line when Enter is pressed.
#pragma once

#include <functional>
#include <thread>

namespace ptv::worker {

class StdinPump {
  public:
    // Calls `receive` for each byte read from `fd` until end of file or
    // until the pump is destroyed.
    StdinPump(int fd, std::function<void(uint8_t)> receive);
    ~StdinPump();
    StdinPump(const StdinPump&) = delete;
    StdinPump& operator=(const StdinPump&) = delete;

  private:
    int fd_;
    int wake_fd_;
    std::function<void(uint8_t)> receive_;
    std::thread thread_;
};

}  // namespace ptv::worker
