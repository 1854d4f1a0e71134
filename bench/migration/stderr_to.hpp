// Child (../kvm-exits/child.hpp) either inherits or discards a program's
// stderr; to quote its error message the benchmark sends it to a file
// instead, through sh, which exec()s the program (the pid stays the
// program's, for Child to kill and reap).
#pragma once

#include <string>
#include <vector>

namespace ptv::bench {

inline std::vector<std::string> stderr_to(const std::string& file, std::vector<std::string> argv) {
    std::vector<std::string> sh = {"/bin/sh", "-c", "e=$1; shift; exec \"$@\" 2>\"$e\"", "sh",
                                   file};
    sh.insert(sh.end(), argv.begin(), argv.end());
    return sh;
}

// The last line of `file` that is neither empty nor a warning.
std::string last_error_line(const std::string& file);

}  // namespace ptv::bench
