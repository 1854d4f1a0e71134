// What a process can see of the machine it runs on: the processes, the host
// name, the mounts and the network interfaces. Inside a container each is
// its namespace's own (Tanenbaum & van Steen, ch. 3, containers); this
// measures it by running commands in one, and reads the same from the host
// for the side-by-side.
#pragma once

#include <string>
#include <vector>

#include "ptv/containers/run.hpp"

namespace ptv::containers {

struct InsideView {
    std::vector<std::string> pids;        // the numeric entries of /proc
    std::string hostname;                 // what `hostname` says
    std::vector<std::string> mounts;      // "MOUNT-POINT TYPE", in /proc/mounts order
    std::vector<std::string> interfaces;  // the entries of /sys/class/net
};

// The command a container runs to list them: a shell whose own glob lists
// /proc before it starts any other process, so the list is what PID 1 sees.
std::vector<std::string> look_command();
// Its output, one "#name" line before each part.
InsideView parse_view(const std::string& out);

// Runs look_command() in a container made from `options` (its command and
// stdout are replaced). Throws StartError or UsageError as run() does, and
// StartError when the listing itself failed.
InsideView look_inside(RunOptions options);
// The same, read by this process on the host.
InsideView look_from_host();

}  // namespace ptv::containers
