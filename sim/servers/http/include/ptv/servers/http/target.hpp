// From a request-target to a path under the served directory, without
// touching the file system: the first of two fences that keep every reply
// inside --root (the second is openat2(RESOLVE_BENEATH) in disk.cpp, which
// also stops symbolic links that point outside).
#pragma once

#include <string>
#include <string_view>

namespace ptv::servers::http {

struct Target {
    int status = 0;    // 0: fine; else 400 (malformed) or 403 (climbs above the root)
    std::string path;  // relative to the root, no leading '/': "" is the root itself
};

// Takes the path of an origin-form ("/a/b?q") or absolute-form
// ("http://h/a/b") target, percent-decodes it, and resolves "." and ".."
// segments and repeated slashes. A ".." above the root is 403; a bad
// escape, a NUL byte or any other form of target ("*", "h:80") is 400.
Target resolve_target(std::string_view target);

}  // namespace ptv::servers::http
