// A child process the benchmark starts and times: stdin from /dev/null (so
// QEMU's -serial stdio never touches the terminal), stdout on a pipe or
// discarded. However the benchmark ends, no child outlives it: the
// destructor kills and reaps a child still running, and each child gets
// SIGKILL from the kernel should the benchmark itself die
// (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptv::bench {

class Child {
  public:
    enum class Stream { Pipe, Null, Inherit };

    // Starts argv (argv[0] a path, or a name looked up on PATH). The clock
    // starts just before fork(). Throws std::runtime_error if it cannot
    // fork; an exec that fails shows as an exception from wait().
    Child(const std::vector<std::string>& argv, Stream out, Stream err);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // now_ns() just before the fork.
    uint64_t started_ns() const { return t_start_; }
    // now_ns() when the end of the process was seen (after wait()).
    uint64_t ended_ns() const { return t_end_; }

    // Reads stdout until `wanted` arrives (any byte when nullopt); returns
    // now_ns() of the read that brought it. Throws if stdout ends first or
    // the time is up.
    uint64_t read_until(std::optional<char> wanted, double timeout_s);
    // Reads stdout to its end.
    void read_to_end(double timeout_s);
    const std::string& output() const { return output_; }

    // Waits for the process to end; returns its wait status. Throws (and
    // kills it) if the time is up.
    int wait(double timeout_s);
    // SIGKILL and reap, if it is still running.
    void kill();

    // "exited with status 3", "killed by signal 9 (Killed)".
    static std::string describe(int wait_status);

  private:
    // One poll()/read() step; false at end of file.
    bool read_some(uint64_t deadline_ns, double timeout_s);
    void close_fds();

    std::string name_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int out_fd_ = -1;
    int exec_fd_ = -1;  // exec's errno, if it failed
    uint64_t t_start_ = 0, t_end_ = 0;
    std::string output_;
};

// The absolute path of `program` on $PATH, if it is there.
std::optional<std::string> find_on_path(const std::string& program);

}  // namespace ptv::bench
