#include "sys.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ptv::threads::measure {

void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("a measured child process did not exit cleanly (status " +
                                 std::to_string(status) + ")");
}

PinToOneCpu::PinToOneCpu() {
    CPU_ZERO(&saved_);
    if (::pthread_getaffinity_np(::pthread_self(), sizeof saved_, &saved_) != 0) {
        errno = EINVAL;
        fail("pthread_getaffinity_np");
    }
    // The CPU we run on now, if it is allowed; else the first allowed one.
    int cpu = ::sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &saved_)) {
        cpu = -1;
        for (int c = 0; c < CPU_SETSIZE && cpu < 0; ++c)
            if (CPU_ISSET(c, &saved_)) cpu = c;
    }
    if (cpu < 0) throw std::runtime_error("no CPU in this thread's affinity mask");
    cpu_ = cpu;
    pin_to(cpu_);
    restore_ = true;
}

PinToOneCpu::~PinToOneCpu() {
    if (restore_) ::pthread_setaffinity_np(::pthread_self(), sizeof saved_, &saved_);
}

void pin_to(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    // sched_setaffinity(0) is the calling thread, and async-signal-safe
    // (a forked child pins itself with it too).
    if (::sched_setaffinity(0, sizeof one, &one) != 0) fail("sched_setaffinity");
}

Pipe::Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe");
    rd = fds[0];
    wr = fds[1];
}

Pipe::~Pipe() {
    close_read();
    close_write();
}

void Pipe::close_read() {
    if (rd >= 0) ::close(rd);
    rd = -1;
}

void Pipe::close_write() {
    if (wr >= 0) ::close(wr);
    wr = -1;
}

void write_word(int fd, uint64_t w) {
    // 8 bytes < PIPE_BUF: a pipe write of it is atomic, never partial.
    for (;;) {
        const ssize_t n = ::write(fd, &w, sizeof w);
        if (n == ssize_t(sizeof w)) return;
        if (n < 0 && errno == EINTR) continue;
        fail("write to pipe");
    }
}

bool read_word(int fd, uint64_t& w) {
    size_t got = 0;
    auto* p = reinterpret_cast<unsigned char*>(&w);
    while (got < sizeof w) {
        const ssize_t n = ::read(fd, p + got, sizeof w - got);
        if (n == 0) return false;
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("read from pipe");
        }
        got += size_t(n);
    }
    return true;
}

}  // namespace ptv::threads::measure
