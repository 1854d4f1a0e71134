// Control groups, the third ingredient of a container: what a group of
// processes may use (memory, number of processes), enforced by the kernel.
// One group per run, created before the command starts, the container's
// first process moved in before it executes the command, removed at the end.
//
// Two hierarchies exist: cgroup v1 mounts one tree per controller
// (/sys/fs/cgroup/memory, /sys/fs/cgroup/pids), cgroup v2 one unified tree
// whose cgroup.controllers lists the controllers it has. Which one a host
// has is found at run time (detect_cgroups).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ptv/containers/explain.hpp"

namespace ptv::containers {

struct Limits {
    std::optional<uint64_t> memory_bytes;  // none: no memory limit
    std::optional<uint64_t> pids;          // none: no limit on processes
};

// A group that exists while the object does (the destructor removes it).
class ControlGroup {
  public:
    virtual ~ControlGroup() = default;
    // "cgroup v1", "cgroup v2", or an alternative's own name.
    virtual std::string kind() const = 0;
    // Moves a process (a host PID) into the group.
    virtual void attach(pid_t pid) = 0;
    // The most memory the group has used (bytes; 0 when unknown).
    virtual uint64_t peak_memory_bytes() const = 0;
    // How many processes the kernel's OOM killer killed in the group.
    virtual uint64_t oom_kills() const = 0;
};

// Makes the group NAME with these limits, explaining each write; a limit the
// kernel refuses is a UsageError naming the file and the value (and nothing
// is left behind).
using CgroupFactory = std::function<std::unique_ptr<ControlGroup>(
    const std::string& name, const Limits& limits, const Explain& explain)>;

// Where this host's controllers are.
struct CgroupLayout {
    bool v2 = false;
    std::string memory_root;  // v1: the memory controller's mount; v2: the unified root
    std::string pids_root;    // v1: the pids controller's mount; v2: the unified root
};

// Reads /proc/self/mountinfo (and the v2 root's cgroup.controllers): v2 where
// the unified hierarchy has both memory and pids, else v1's controllers.
// Throws UsageError when neither is mounted.
CgroupLayout detect_cgroups();

// The kernel's groups on the detected layout (the default factory).
std::unique_ptr<ControlGroup> make_kernel_cgroup(const std::string& name, const Limits& limits,
                                                 const Explain& explain);

}  // namespace ptv::containers
