// The worker's jail, as Firecracker builds one: no_new_privs, then a seccomp
// allow-list of the system calls a worker makes once its VM is built (KVM
// ioctls, memory, threads, its sockets, snapshot files). Anything else kills
// the whole process with SIGSYS: a guest that found a bug in a device model
// gets a process that cannot open a network socket or run a program.
#pragma once

namespace ptv::worker {

// Installs the filter on every thread of the process (TSYNC). Throws
// std::runtime_error if the kernel refuses it.
void enter_seccomp_jail();

}  // namespace ptv::worker
