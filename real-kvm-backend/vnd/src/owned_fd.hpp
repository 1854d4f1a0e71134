// The descriptors the threaded dispatch strategies own (epoll sets,
// eventfds, a timerfd), closed with their owner, and the two eventfd
// operations they use. Private to vnd.
#pragma once

#include <cstdint>
#include <utility>

namespace ptv::vnd::detail {

class OwnedFd {
  public:
    explicit OwnedFd(int fd) : fd_(fd) {}
    OwnedFd(OwnedFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;
    ~OwnedFd();
    int get() const { return fd_; }

  private:
    int fd_;
};

// Each throws std::system_error naming the call that failed.
OwnedFd make_epoll();
OwnedFd make_eventfd();  // non-blocking, close-on-exec
// Adds `fd` to `epoll` for reading (level-triggered), tagged `tag`.
void epoll_watch(int epoll, int fd, uint64_t tag);
void epoll_forget(int epoll, int fd);

// Adds one to an eventfd's counter (wakes whoever polls it).
void signal_eventfd(int fd);
// Reads and clears an eventfd's counter: the writes since the last read,
// 0 if there were none.
uint64_t drain_eventfd(int fd);

}  // namespace ptv::vnd::detail
