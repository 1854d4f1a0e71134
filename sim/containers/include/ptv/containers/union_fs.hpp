// The union file system, the second ingredient: an overlay of a read-only
// lower layer (the image, shared by every run) and a per-run upper layer
// that takes every write (copy-up), merged into the container's root.
// The mount itself is made inside the container's mount namespace, so it
// vanishes with the container's last process; the directories are the host's
// and this object removes them.
#pragma once

#include <string>

namespace ptv::containers {

class RunDirs {
  public:
    // Makes TMPDIR/ptv-container-XXXXXX with upper/, work/ and merged/
    // (TMPDIR: the environment's, else /tmp).
    RunDirs();
    ~RunDirs();  // removes the whole tree
    RunDirs(const RunDirs&) = delete;
    RunDirs& operator=(const RunDirs&) = delete;

    std::string base, upper, work, merged;
};

// The overlay's mount data for lower, upper and work.
std::string overlay_options(const std::string& lower, const RunDirs& dirs);

}  // namespace ptv::containers
