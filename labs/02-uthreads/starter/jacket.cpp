// Your jacket routines (uthread.hpp): a system call that would block the
// one kernel thread, and with it every user-level thread, is made
// non-blocking; when it would block, only the calling thread waits, with
// wait_fd(), and then tries again.
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

namespace uthread {

ssize_t read(int fd, void* buffer, size_t size) {
    // TODO(L2.6): O_NONBLOCK with fcntl(2); ::read; on EAGAIN wait_fd(fd,
    // EPOLLIN) and try again; on EINTR try again; else return what it gave.
    (void)fd;
    (void)buffer;
    (void)size;
    throw ptv::lab::NotImplemented("uthread::read");
}

ssize_t write(int fd, const void* buffer, size_t size) {
    // TODO(L2.6): the same, waiting for EPOLLOUT.
    (void)fd;
    (void)buffer;
    (void)size;
    throw ptv::lab::NotImplemented("uthread::write");
}

int accept(int fd, sockaddr* address, socklen_t* length) {
    // TODO(L2.6): the same; a listening socket is readable when a
    // connection waits.
    (void)fd;
    (void)address;
    (void)length;
    throw ptv::lab::NotImplemented("uthread::accept");
}

}  // namespace uthread
