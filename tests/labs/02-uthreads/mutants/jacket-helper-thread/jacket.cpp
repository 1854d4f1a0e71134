// The reference jacket routines: a system call that would block the one
// kernel thread (and with it every user-level thread) is made non-blocking,
// and only the calling thread waits, in the scheduler's epoll set.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "uthread.hpp"

namespace uthread {

namespace {

void make_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

bool would_block() {
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

ssize_t read(int fd, void* buffer, size_t size) {
    // A kernel thread of its own waits in read(2); this one yields until
    // it is done.
    bool done = false;
    ssize_t n = 0;
    int error = 0;
    std::thread helper([&] {
        n = ::read(fd, buffer, size);
        error = errno;
        done = true;
    });
    while (!done) yield();
    helper.join();
    errno = error;
    return n;
}

ssize_t write(int fd, const void* buffer, size_t size) {
    make_nonblocking(fd);
    for (;;) {
        const ssize_t n = ::write(fd, buffer, size);
        if (n >= 0 || (errno != EINTR && !would_block())) return n;
        if (errno != EINTR) wait_fd(fd, EPOLLOUT);
    }
}

int accept(int fd, sockaddr* address, socklen_t* length) {
    make_nonblocking(fd);
    for (;;) {
        const int c = ::accept(fd, address, length);
        if (c >= 0 || (errno != EINTR && !would_block())) return c;
        if (errno != EINTR) wait_fd(fd, EPOLLIN);
    }
}

}  // namespace uthread
