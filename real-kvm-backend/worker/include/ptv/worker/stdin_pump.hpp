// Feeds the worker's standard input to a device, on a thread of its own:
// to the UART's receiver (a guest with a serial driver is typed at; a
// terminal stays in its line mode, so the guest sees a line when Enter is
// pressed), or, with the VGA console, through a key decoder to the i8042
// keyboard (the terminal in raw mode, raw_terminal.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>

namespace ptv::worker {

class StdinPump {
  public:
    // Calls `receive` with what each read() of `fd` returned, until end of
    // file or until the pump is destroyed. When `idle` is set, it is
    // called once each time no byte has come for `idle_after` since the
    // last one (a key decoder's cue that a lone ESC was the Esc key).
    StdinPump(int fd, std::function<void(std::string_view)> receive,
              std::function<void()> idle = {},
              std::chrono::milliseconds idle_after = std::chrono::milliseconds(30));
    ~StdinPump();
    StdinPump(const StdinPump&) = delete;
    StdinPump& operator=(const StdinPump&) = delete;

  private:
    int fd_;
    int wake_fd_;
    std::thread thread_;
};

}  // namespace ptv::worker
