// Starting a worker process (ptv-vmwp), the one way every program that runs
// workers does it: `ptv kvm run`, `ptv migrate` and the management service.
// posix_spawn (a vfork underneath) starts it faster than fork + exec. What
// differs between them is a parameter: where the control channel comes
// from, which other descriptors the worker inherits, where its output goes,
// its signal mask and process group.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ptv::worker {

struct WorkerSpawn {
    std::vector<std::string> argv;  // argv[0]: the program's path
    // The worker's fd 3, its control channel: -1 makes a socket pair and
    // returns our end (`ptv`: the worker ends when it closes); else this
    // descriptor (the service's listening socket, which the worker keeps).
    int control_fd = -1;
    // The worker's fd 4, 5, ...: a trace stream, a migration connection.
    std::vector<int> extra_fds;
    int stdout_fd = -1;               // its stdout (-1: ours)
    std::string log_path;             // else: stdout and stderr appended here, stdin /dev/null
    std::optional<sigset_t> sigmask;  // what it starts with blocked (nullopt: nothing)
    bool own_process_group = false;   // a Ctrl-C for its parent is not for it
};

struct SpawnedWorker {
    pid_t pid = -1;
    int control = -1;  // our end of the control channel (a socket pair only)
    int error = 0;     // errno when it could not be started (pid -1 then)
};

// The caller's descriptors stay open (theirs to close).
SpawnedWorker spawn_worker(const WorkerSpawn& how);

}  // namespace ptv::worker
