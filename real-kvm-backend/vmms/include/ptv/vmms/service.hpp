// The Virtual Machine Management Service (Hyper-V's VMMS): the one door to
// every VM on the host. Its parts, named as in Hyper-V:
//   - the management API: JSON lines on one Unix socket (README.md);
//   - the Virtual Machine Manager: each VM's configuration and state,
//     persisted in the state directory so a restarted service finds them;
//   - the Worker Process Manager: one ptv-vmwp per running VM, watched
//     through a pidfd (its death is noticed at once, not by polling),
//     restarted by the VM's policy with exponential back-off and a cap on
//     restarts per minute; workers outlive the service and are re-adopted;
//   - snapshots: of a running VM through its worker, of a stopped VM by the
//     service alone; the single-port console listener.
// Single-threaded: one epoll loop; nothing in it blocks on a worker.
#pragma once

#include <string>

namespace ptv::vmms {

struct ServiceConfig {
    std::string socket_path;
    std::string state_dir;
    std::string worker_path;  // ptv-vmwp
    std::string trace_path;   // "" : STATE/trace.json (one event per line)
    int ready_fd = -1;        // written to (then closed) once the socket listens
    bool quiet = false;       // no log lines on stderr
};

// Runs the service until SIGINT/SIGTERM or a "shutdown" request. Throws
// ptv::UsageError for what the user can fix (socket taken, state directory
// unwritable). Workers keep running when the service ends.
int run_service(const ServiceConfig& config);

}  // namespace ptv::vmms
