// From a request-target to a path under the served directory, without
// touching the file system: the first of two fences that keep every reply
// inside --root (the second is openat2(RESOLVE_BENEATH) in disk.cpp, which
// also stops symbolic links that point outside).
#pragma once

#include <string>
#include <string_view>

namespace ptv::servers::http {

// Longer targets are 414 URI Too Long (RFC 9112 §3: at least 8,000 octets
// of request line are to be supported; the parser's head limit is 8 KiB).
inline constexpr size_t kMaxTargetBytes = 4096;

struct Target {
    int status = 0;    // 0: fine; else 400 (malformed), 403 (climbs above the root), 414
    std::string path;  // relative to the root, no leading '/': "" is the root itself
};

// The target with a slash added at the end of its path, the query kept:
// where a directory named without its trailing slash is moved to (301), so
// that relative links in its index resolve inside it. "/a%20b?x" gives
// "/a%20b/?x"; the escapes are kept as sent.
std::string with_trailing_slash(std::string_view target);
// Whether the path of the target ends with '/' ("/" itself included).
bool names_directory(std::string_view target);

// Takes the path of an origin-form ("/a/b?q") or absolute-form
// ("http://h/a/b") target, percent-decodes it, and resolves "." and ".."
// segments and repeated slashes. A ".." above the root is 403; a bad
// escape, a NUL byte or any other form of target ("*", "h:80") is 400.
Target resolve_target(std::string_view target);

}  // namespace ptv::servers::http
