// The container's side of a run: what its first process does between
// clone() (it is already in its new namespaces) and exec() of the command.
// Everything it needs is made beforehand by the parent (InitPlan), so the
// child allocates nothing: it only makes system calls and writes prepared
// lines.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "ptv/containers/explain.hpp"

namespace ptv::containers {

struct DeviceNode {
    std::string path;  // under the merged root's /dev
    unsigned major, minor;
};

struct InitPlan {
    int sync_fd = -1;             // read end: a byte once the child is in its cgroup
    int report_fd = -1;           // write end, close-on-exec: a failed step's line
    int close_fds[2] = {-1, -1};  // the parent's ends of the two pipes
    int stdout_fd = -1, stderr_fd = -1;
    Explain explain;
    sigset_t signal_mask;  // the command's (the parent blocks some while it waits)

    std::string hostname, overlay_data, merged, proc, sys, dev;
    std::vector<DeviceNode> devices;
    std::vector<std::pair<std::string, std::string>> dev_links;  // link path, target
    std::string exe;
    std::vector<std::string> args, env;
    std::vector<char*> argv, envp;  // into args and env, null-terminated

    // The --explain lines, each ending in a newline.
    std::string say_private, say_hostname, say_loopback, say_overlay, say_proc, say_sys, say_dev,
        say_pivot, say_chroot, say_exec;
};

// The first byte of a report: which kind of failure it is.
inline constexpr char kSetupFailed = 's';  // a step before exec
inline constexpr char kExecFailed = 'x';   // exec itself

// Runs in the cloned child; never returns (exec, or _exit(127) after a report).
[[noreturn]] void container_init(const InitPlan& plan);

}  // namespace ptv::containers
