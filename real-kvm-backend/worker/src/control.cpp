#include "ptv/worker/control.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ptv::worker {

bool send_message(int fd, const nlohmann::json& message, bool drop_if_full) {
    if (fd < 0) return false;
    std::string text =
        message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const char* p = text.data();
    size_t left = text.size();
    // Once part of a line is out, the rest must follow, or the framing breaks.
    int flags = MSG_NOSIGNAL | (drop_if_full ? MSG_DONTWAIT : 0);
    while (left > 0) {
        ssize_t n = ::send(fd, p, left, flags);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        left -= size_t(n);
        flags = MSG_NOSIGNAL;
    }
    return true;
}

std::string bytes_to_text(std::string_view bytes) {
    std::string s;
    s.reserve(bytes.size());
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            s.push_back(char(c));
        } else {
            s.push_back(char(0xc0 | (c >> 6)));
            s.push_back(char(0x80 | (c & 0x3f)));
        }
    }
    return s;
}

std::string text_to_bytes(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            out.push_back(char(c));
        } else if ((c & 0xe0) == 0xc0 && i + 1 < text.size()) {
            const unsigned cp = (c & 0x1fu) << 6 | (static_cast<unsigned char>(text[++i]) & 0x3fu);
            out.push_back(cp < 0x100 ? char(cp) : '?');
        } else {
            out.push_back('?');  // not a Latin-1 code point: not ours
        }
    }
    return out;
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
    : ControlChannel(fd, -1, std::move(on_request), std::move(on_hangup), nullptr, nullptr) {}

ControlChannel::ControlChannel(int fd, int listen_fd, Handler on_request,
                               std::function<void()> on_hangup,
                               std::function<void(ControlChannel&)> on_connect,
                               std::function<void(ControlChannel&)> on_tick)
    : fd_(fd),
      listen_fd_(listen_fd),
      wake_fd_(::eventfd(0, EFD_CLOEXEC)),
      on_request_(std::move(on_request)),
      on_hangup_(std::move(on_hangup)),
      on_connect_(std::move(on_connect)),
      on_tick_(std::move(on_tick)) {
    thread_ = std::thread([this] { serve(); });
}

ControlChannel::~ControlChannel() {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
    ::close(wake_fd_);
}

bool ControlChannel::send(const nlohmann::json& message, bool drop_if_full) {
    std::lock_guard lock(send_lock_);
    return send_message(fd_, message, drop_if_full);
}

bool ControlChannel::connected() {
    std::lock_guard lock(send_lock_);
    return fd_ >= 0;
}

void ControlChannel::serve() {
    std::string buffer;
    const int tick_ms = on_tick_ ? 1000 : -1;
    for (;;) {
        pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        const int ready = ::poll(fds, 3, tick_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents) return;  // the worker is done
        if (ready == 0) {
            if (on_tick_ && fd_ >= 0) on_tick_(*this);
            continue;
        }
        if (fds[2].revents & POLLIN) {
            const int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn >= 0) {
                {
                    std::lock_guard lock(send_lock_);
                    if (fd_ >= 0) ::close(fd_);
                    fd_ = conn;
                }
                buffer.clear();
                if (on_connect_) on_connect_(*this);
            }
            continue;
        }
        if (!fds[1].revents) continue;
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            on_hangup_();
            if (listen_fd_ < 0) return;
            std::lock_guard lock(send_lock_);
            ::close(fd_);
            fd_ = -1;
            continue;
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
