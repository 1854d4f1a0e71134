// Runs a command for a test and captures what it printed: the tests drive
// `ptv` and `ptv-vmwp` exactly as a user or a grader would.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ptv::test {

struct Completed {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
};

// Runs argv (argv[0] a path) with extra environment variables and `input`
// on its standard input (then end of file), waiting at most timeout_s
// seconds (then kills it and fails the status with -1).
Completed run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& env = {}, double timeout_s = 60,
              const std::string& input = "");

// Starts argv in the background with stdout/stderr to /dev/null.
pid_t spawn(const std::vector<std::string>& argv);
// Waits for a spawned process; returns its exit status or 128 + signal.
int wait_for(pid_t pid);

// Children of a process (from /proc/PID/task/PID/children).
std::vector<pid_t> children_of(pid_t pid);
// All running processes whose executable is `exe`.
std::vector<pid_t> processes_running(const std::string& exe);

// Paths of the build tree (from the environment set by CTest).
std::string bin(const std::string& name);    // build/bin/NAME
std::string guest(const std::string& name);  // build/guests/NAME.bin

// A temporary directory removed at destruction.
struct TempDir {
    TempDir();
    ~TempDir();
    std::string path;
    std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace ptv::test
