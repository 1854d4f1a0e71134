// The error convention of docs/DESIGN.md: a user mistake is one clear line and
// exit status 2; everything else is an outcome with its own status.
#pragma once

#include <stdexcept>
#include <string>

namespace ptv {

inline constexpr int kUsageExit = 2;

// A mistake the user can fix (bad flag, missing file, malformed guest, no
// /dev/kvm). what() is the whole line, phrased as "what was wrong; what to do".
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace ptv
