// The container's image: the read-only lower layer of its union file system.
// By default a minimal one the kit makes itself from Debian's busybox-static:
// /bin/busybox, a symbolic link per applet (/bin/sh, /bin/ls, ...), and the
// empty directories a container mounts on (/proc, /sys, /dev, /tmp).
#pragma once

#include <string>

#include "ptv/containers/explain.hpp"

namespace ptv::containers {

// Where the default image is kept: $XDG_CACHE_HOME/ptvlab/container-rootfs,
// else /var/cache/ptvlab/container-rootfs for root, else
// $HOME/.cache/ptvlab/container-rootfs.
std::string default_image_dir();

// The statically linked busybox to copy (/bin/busybox, /usr/bin/busybox);
// a UsageError naming scripts/setup.sh when there is none, or it is dynamic
// (it would not start in an image without its libraries).
std::string find_static_busybox();

// Makes the image at `dir` once, atomically (a temporary directory beside it,
// then rename()), so concurrent first runs agree on one image; returns dir.
std::string ensure_image(const std::string& dir, const Explain& explain);

// Resolves CMD as the container will see it, inside `root` (symbolic links
// stay inside it): a name with a slash as is, else the first of /bin, /sbin,
// /usr/bin, /usr/sbin that has it. Returns the path inside the container;
// a UsageError when it is not an executable file there.
std::string resolve_command(const std::string& root, const std::string& cmd);

}  // namespace ptv::containers
