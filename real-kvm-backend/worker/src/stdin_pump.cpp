#include "ptv/worker/stdin_pump.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace ptv::worker {

StdinPump::StdinPump(int fd, std::function<void(uint8_t)> receive)
    : fd_(fd), wake_fd_(::eventfd(0, EFD_CLOEXEC)), receive_(std::move(receive)) {
    thread_ = std::thread([this] {
        for (;;) {
            pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[1].revents) return;
            uint8_t buf[4096];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // end of input: the line just goes quiet
            for (ssize_t i = 0; i < n; ++i) receive_(buf[i]);
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
