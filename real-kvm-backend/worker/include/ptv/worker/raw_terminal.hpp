// The terminal in the mode a game needs: every key as it is pressed, not a
// line at a time, and not echoed (the guest draws the screen). Ctrl-C still
// interrupts (ISIG stays on), so the usual way to stop a guest works. The
// old mode comes back when this goes away, whatever ended the run.
#pragma once

#include <termios.h>

namespace ptv::worker {

class RawTerminal {
  public:
    // Does nothing when `fd` is not a terminal (a pipe, a file, /dev/null).
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

    bool active() const { return active_; }

  private:
    int fd_;
    bool active_ = false;
    termios saved_{};
};

}  // namespace ptv::worker
