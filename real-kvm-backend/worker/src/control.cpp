#include "ptv/worker/control.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ptv::worker {

bool send_message(int fd, const nlohmann::json& message) {
    std::string text =
        message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::send(fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        left -= size_t(n);
    }
    return true;
}

bool MessageReader::pop(nlohmann::json& message) {
    for (size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
        auto j = nlohmann::json::parse(buffer_.substr(0, nl), nullptr, false);
        buffer_.erase(0, nl + 1);
        if (j.is_discarded()) continue;
        message = std::move(j);
        return true;
    }
    return false;
}

bool MessageReader::read_once() {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buffer_.append(buf, size_t(n));
        return true;
    }
}

bool MessageReader::next(nlohmann::json& message) {
    while (!pop(message))
        if (!read_once()) return false;
    return true;
}

ControlChannel::ControlChannel(int fd, Handler on_request, std::function<void()> on_hangup)
    : fd_(fd),
      wake_fd_(::eventfd(0, EFD_CLOEXEC)),
      on_request_(std::move(on_request)),
      on_hangup_(std::move(on_hangup)) {
    thread_ = std::thread([this] { serve(); });
}

ControlChannel::~ControlChannel() {
    uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
    thread_.join();
    ::close(wake_fd_);
}

void ControlChannel::send(const nlohmann::json& message) {
    std::lock_guard lock(send_lock_);
    send_message(fd_, message);
}

void ControlChannel::serve() {
    std::string buffer;
    for (;;) {
        pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents) return;  // the worker is done
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            on_hangup_();
            return;
        }
        buffer.append(buf, size_t(n));
        for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
            auto j = nlohmann::json::parse(buffer.substr(0, nl), nullptr, false);
            buffer.erase(0, nl + 1);
            if (j.is_object()) on_request_(j, *this);
        }
    }
}

}  // namespace ptv::worker
