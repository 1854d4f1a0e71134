// What ptv needs around a worker it started (worker/spawn.hpp starts it):
// its stop signals as a signalfd, and its wait status in words. Used by
// `ptv kvm run` and `ptv migrate`.
#pragma once

#include <signal.h>

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

// "killed by signal 9 (Killed)" / "exited with status 3 ...".
std::string describe_wait_status(int status);

}  // namespace ptv::cli
