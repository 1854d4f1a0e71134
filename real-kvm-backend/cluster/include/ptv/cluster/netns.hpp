// Network namespaces, the kit's stand-in for separate machines: each host of
// a cluster on this machine has its own network stack (interfaces, address,
// routes, ports), joined to the others by veth pairs on a bridge. iproute2's
// `ip` makes them; a program is started inside one with setns(2).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ptv::cluster {

// Runs `ip ARGS...`; throws std::runtime_error with ip's own message when it
// fails.
void ip(const std::vector<std::string>& args);
// Like ip(), but a failure is ignored (for clean-up of what may be gone).
void ip_quiet(const std::vector<std::string>& args);
bool netns_exists(const std::string& netns);
// The processes running in a namespace (`ip netns pids`).
std::vector<pid_t> netns_pids(const std::string& netns);
// The IPv4 addresses configured on this namespace's interfaces.
std::vector<std::string> ipv4_addresses();

// Runs `argv` inside `netns` (the child joins it with setns before exec),
// waits for it and returns its exit status; its stderr goes to `err`.
int run_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                 std::string* err = nullptr);
// Starts `argv` inside `netns` with stdout/stderr to `log_path` and returns
// its pid without waiting. With `parent_death_signal`, the child gets that
// signal when this process ends, however it ends.
pid_t spawn_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                     const std::string& log_path, int parent_death_signal = 0);

}  // namespace ptv::cluster
