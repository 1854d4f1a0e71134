// Starting ptv-vmwp worker processes from ptv: the control channel on the
// worker's fd 3 and, optionally, one more descriptor on its fd 4 (a
// migration connection). Used by `ptv migrate`; `ptv kvm run` predates it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace ptv::cli {

struct SpawnedWorker {
    pid_t pid = -1;
    int control = -1;  // our end of the control channel
};

// Throws UsageError when the worker cannot be started. `mask`: the signal
// mask the worker starts with. `stdout_fd`: where its stdout goes (-1: ours).
SpawnedWorker spawn_worker(std::vector<std::string> args, int fd4, const sigset_t& mask,
                           int stdout_fd = -1);

// Blocks SIGINT, SIGTERM and HUP and returns a signalfd for them; the
// destructor restores the old mask (after consuming what is pending).
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    int fd() const { return fd_; }
    const sigset_t& old_mask() const { return old_; }

  private:
    sigset_t old_;
    int fd_;
};

// "killed by signal 9 (Killed)" / "exited with status 3 ...".
std::string describe_wait_status(int status);

}  // namespace ptv::cli
