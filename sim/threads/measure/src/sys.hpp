// System-call helpers shared by the measurements (private to the library).
#pragma once

#include <sched.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>

#include <string>

namespace ptv::threads::measure {

// Throws std::runtime_error("WHAT: strerror(errno)").
[[noreturn]] void fail(const std::string& what);

// fork()s a child that runs body (async-signal-safe calls only) and then
// _exit(0)s; the child is killed if this process dies first.
template <typename Body>
pid_t fork_child(Body body) {
    // Nothing buffered may be written twice, should a child's exit flush
    // (as under TSan); with empty buffers this costs nanoseconds.
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        // Nothing we run may leave a stray process behind (docs/DESIGN.md, "Conventions").
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        body();
        ::_exit(0);
    }
    return pid;
}

// Waits for the child and reaps it; throws unless it exited with status 0.
void reap(pid_t pid);

// Pins the calling thread to one CPU it may run on, and restores its
// affinity on destruction (the context-switch measurements).
class PinToOneCpu {
  public:
    PinToOneCpu();
    ~PinToOneCpu();
    PinToOneCpu(const PinToOneCpu&) = delete;
    PinToOneCpu& operator=(const PinToOneCpu&) = delete;
    int cpu() const { return cpu_; }

  private:
    int cpu_ = -1;
    bool restore_ = false;
    cpu_set_t saved_;
};

// Pins the calling thread (or forked child) to CPU.
void pin_to(int cpu);

// A pipe with both ends closed on destruction.
struct Pipe {
    Pipe();
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read();
    void close_write();
    int rd = -1, wr = -1;
};

// One 8-byte message: write it whole, read it whole (EINTR retried).
// read_word returns false at end of file.
void write_word(int fd, uint64_t w);
bool read_word(int fd, uint64_t& w);

}  // namespace ptv::threads::measure
