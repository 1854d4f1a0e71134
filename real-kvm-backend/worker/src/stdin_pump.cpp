#include "ptv/worker/stdin_pump.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace ptv::worker {

StdinPump::StdinPump(int fd, std::function<void(std::string_view)> receive,
                     std::function<void()> idle, std::chrono::milliseconds idle_after)
    : fd_(fd), wake_fd_(::eventfd(0, EFD_CLOEXEC)) {
    thread_ = std::thread([this, receive = std::move(receive), idle = std::move(idle),
                           idle_ms = int(idle_after.count())] {
        bool idle_due = false;  // bytes came since idle() was last called
        for (;;) {
            pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
            const int n_ready = ::poll(fds, 2, idle && idle_due ? idle_ms : -1);
            if (n_ready < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (n_ready == 0) {
                idle_due = false;
                idle();
                continue;
            }
            if (fds[1].revents) return;
            char buf[4096];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {  // end of input: the line just goes quiet
                if (idle && idle_due) idle();
                return;
            }
            receive({buf, size_t(n)});
            idle_due = true;
        }
    });
}

StdinPump::~StdinPump() {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
    ::close(wake_fd_);
}

}  // namespace ptv::worker
