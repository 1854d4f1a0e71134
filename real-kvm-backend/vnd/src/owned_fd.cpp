#include "owned_fd.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ptv::vnd::detail {

namespace {
[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}
}  // namespace

OwnedFd::~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
}

OwnedFd make_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) fail("epoll_create1");
    return OwnedFd(fd);
}

OwnedFd make_eventfd() {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) fail("eventfd");
    return OwnedFd(fd);
}

void epoll_watch(int epoll, int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl(ADD)");
}

void epoll_forget(int epoll, int fd) {
    if (::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr) != 0) fail("epoll_ctl(DEL)");
}

void signal_eventfd(int fd) {
    const uint64_t one = 1;
    // Only a counter at its maximum refuses (EAGAIN), and then the reader
    // is already woken: nothing is lost.
    while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

uint64_t drain_eventfd(int fd) {
    uint64_t n = 0;
    for (;;) {
        if (::read(fd, &n, sizeof n) == ssize_t(sizeof n)) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return 0;
        fail("read(eventfd)");
    }
}

}  // namespace ptv::vnd::detail
