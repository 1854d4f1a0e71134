// One child process under a time limit, the way the grader runs both the
// compiler and every test: fork/exec into a process group of its own, its
// output captured, and on overrunning the limit the whole group killed, so
// that a student's program that forks or spawns threads leaves nothing
// behind. No core files (RLIMIT_CORE 0): a crash is a result, not a file.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace ptv::lab {

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0] is a path
    std::string cwd;                // empty: the grader's own
    double time_limit_s = 10;
    std::map<std::string, std::string> env;  // added to (or replacing) the grader's
    size_t output_cap = 256 * 1024;          // per stream; the rest is read and dropped
};

struct ProcessResult {
    bool timed_out = false;
    int exit_code = -1;  // when it exited
    int signal = 0;      // when a signal ended it
    std::string out, err;
    double seconds = 0;
};

ProcessResult run_process(const ProcessSpec& spec);

// `name` itself when it has a slash, else its first executable in $PATH;
// "" when there is none.
std::string find_in_path(const std::string& name);

}  // namespace ptv::lab
