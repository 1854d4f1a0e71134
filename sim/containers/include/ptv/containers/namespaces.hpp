// Namespaces, the first ingredient: the kernel gives a process its own view
// of a resource. The container's first process is cloned into five new ones:
//   PID     it is PID 1 and sees only its own descendants;
//   mount   its mounts (the overlay, /proc, /sys, /dev) are its own;
//   UTS     its own host name;
//   IPC     its own System V IPC objects and POSIX message queues;
//   network its own interfaces: only a loopback `lo`, which starts down.
#pragma once

#include <sched.h>

#include <string>
#include <vector>

namespace ptv::containers {

inline constexpr int kNamespaceFlags =
    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;

// The --explain lines for the namespaces the clone makes, in that order.
std::vector<std::string> namespace_steps(const std::string& hostname);

// Inside the new network namespace: sets IFF_UP on `lo`. Returns 0 or errno.
int bring_up_loopback();

}  // namespace ptv::containers
