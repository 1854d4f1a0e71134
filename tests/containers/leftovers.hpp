// What a container run may leave behind, and a run of `ptv container run`
// that checks it left nothing: no per-run directory in its TMPDIR, no
// control group of a process that has ended, no overlay mount, no process.
#pragma once

#include <string>
#include <vector>

#include "process.hpp"

namespace ptv::test {

// Control groups named ptv-container-PID whose PID has ended (v1 memory and
// pids hierarchies, and the v2 root): a run that removed its own leaves none,
// whatever other runs are in progress.
std::vector<std::string> orphaned_cgroups();
// Host mounts of an overlay or a path under `dir`.
std::vector<std::string> mounts_under(const std::string& dir);
// Processes whose command line has the argument `marker`.
std::vector<int> processes_with_arg(const std::string& marker);
// Entries of a directory.
std::vector<std::string> entries(const std::string& dir);

// `ptv container run ARGS...` with TMPDIR a fresh directory; CHECKs that
// nothing of the run is left when it ends.
Completed container(const std::vector<std::string>& args, double timeout_s = 60);

// Fails the test with a clear line where the suite cannot run.
void require_root();

}  // namespace ptv::test
