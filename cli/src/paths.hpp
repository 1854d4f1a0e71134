// Where ptv finds its pieces: the worker binary beside it, and the guest
// images in ../guests (the build tree's layout; $PTV_GUEST_DIR overrides).
#pragma once

#include <string>
#include <vector>

namespace ptv::cli {

std::string executable_dir();
std::string worker_path();
std::string guest_dir();
// ptv-viz beside ptv; throws ptv::UsageError saying what to install when the
// visualizer was not built.
std::string viz_path();
std::vector<std::string> guest_names();
// A guest name ("hello") or a path to an image. Throws ptv::UsageError
// listing the guests when it is neither.
std::string resolve_guest(const std::string& name_or_path);

}  // namespace ptv::cli
