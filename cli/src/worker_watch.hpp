// What ptv needs around a worker it started (worker/spawn.hpp starts it):
// its stop signals as a signalfd, and its wait status in words. Used by
// `ptv kvm run` and `ptv migrate`.
#pragma once

#include <signal.h>
#include <termios.h>

#include <string>

namespace ptv::cli {

// Blocks SIGINT, SIGTERM and HUP and returns a signalfd for them; the
// destructor restores the old mask (after consuming what is pending: a
// Ctrl-C the worker has already acted on would otherwise end ptv before it
// reports).
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    int fd() const { return fd_; }
    const sigset_t& old_mask() const { return old_; }

  private:
    sigset_t old_;
    int fd_;
};

// The terminal's mode as it was when this was made, put back when it goes:
// a worker that drew the VGA console in raw mode and was killed before it
// could restore the terminal leaves it usable all the same.
class TerminalMode {
  public:
    explicit TerminalMode(int fd);
    ~TerminalMode();
    TerminalMode(const TerminalMode&) = delete;
    TerminalMode& operator=(const TerminalMode&) = delete;

  private:
    int fd_;
    bool saved_ = false;
    termios mode_{};
};

// "killed by signal 9 (Killed)" / "exited with status 3 ...".
std::string describe_wait_status(int status);

}  // namespace ptv::cli
