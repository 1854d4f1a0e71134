// `ptv container run`: one command in a container made of the lecture's three
// ingredients (Tanenbaum & van Steen, ch. 3, containers):
//   namespaces     new PID, mount, UTS, IPC and network namespaces: the
//                  command is PID 1 and sees only its own processes, host
//                  name, mounts and a network of only `lo`;
//   union fs       an overlay of the read-only image and a per-run upper
//                  layer, the container's root after pivot_root;
//   control groups memory and pids limits on everything it starts.
// Not a runtime: no image format, no user namespace, no seccomp, no
// capabilities dropped. Everything it makes is removed when the run ends,
// however it ends (the command's exit, a failure, SIGINT/SIGTERM/SIGHUP).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/containers/cgroups.hpp"

namespace ptv::containers {

struct RunOptions {
    std::vector<std::string> command;    // CMD ARGS...; CMD resolved in the image
    std::optional<uint64_t> memory_mib;  // --memory: the memory cgroup's limit
    std::optional<uint64_t> pids;        // --pids: the pids cgroup's limit
    std::string hostname = "ptv-container";
    std::string rootfs;     // the lower layer; empty: the kit's busybox image
    int explain_fd = -1;    // --explain: each step to this descriptor (-1: silent)
    int stdout_fd = -1;     // the command's stdout (-1: this process's)
    int stderr_fd = -1;     // the command's stderr (-1: this process's)
    CgroupFactory cgroups;  // empty: the kernel's (make_kernel_cgroup)
};

struct RunStats {
    int exit_status = 0;             // the command's status, or 128 + signal
    int signal = 0;                  // the signal that ended it (0: it exited)
    bool oom_killed = false;         // the memory cgroup's OOM killer ended it
    int interrupted_by = 0;          // SIGINT/SIGTERM/SIGHUP that made us stop it
    uint64_t startup_ns = 0;         // clone() to the command's successful exec
    uint64_t total_ns = 0;           // clone() to the container's end
    uint64_t peak_memory_bytes = 0;  // the cgroup's peak (page cache included)
    std::string cgroup_kind;         // "cgroup v1", "cgroup v2", ...
    std::string start_error;         // why exec failed inside (status 127)
};

// A step the kernel refused while the container was being set up (after the
// options were accepted); everything made so far is removed before it is
// thrown.
class StartError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Checks the options (UsageError: one line, nothing created), starts the
// container, waits for it and removes everything it made. A command whose
// exec fails inside is status 127, with the reason in start_error.
RunStats run(const RunOptions& options);

}  // namespace ptv::containers
