// The live stream: one JSON event per line from a socket or a pipe
// (docs/DESIGN.md, "The trace"), read on a thread so the window never waits.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "ptv/common/error.hpp"
#include "ptv/viz/app.hpp"

namespace ptv::viz {

struct LiveStream::Shared {
    std::mutex mu;
    std::vector<std::string> lines;  // complete lines not yet drained
    bool ended = false;
    std::string why;  // how it ended
    uint64_t received = 0;
    int fd = -1;
    std::thread reader;
};

LiveStream::LiveStream(int fd) : shared_(std::make_shared<Shared>()) {
    shared_->fd = fd;
    shared_->reader = std::thread([s = shared_] {
        std::string partial;
        char buf[1 << 16];
        while (true) {
            const ssize_t n = ::read(s->fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                std::lock_guard lock(s->mu);
                s->ended = true;
                s->why = n == 0 ? "stream ended" : fmt::format("stream error: {}", strerror(errno));
                if (!partial.empty()) s->lines.push_back(std::move(partial));  // a cut line
                return;
            }
            std::vector<std::string> got;
            size_t start = 0;
            for (ssize_t i = 0; i < n; ++i) {
                if (buf[i] != '\n') continue;
                partial.append(buf + start, size_t(i) - start);
                if (!partial.empty()) got.push_back(std::move(partial));
                partial.clear();
                start = size_t(i) + 1;
            }
            partial.append(buf + start, size_t(n) - start);
            if (!got.empty()) {
                std::lock_guard lock(s->mu);
                s->received += got.size();
                for (auto& l : got) s->lines.push_back(std::move(l));
            }
        }
    });
}

LiveStream::~LiveStream() {
    // Unblock the reader's read() and wait for it.
    ::shutdown(shared_->fd, SHUT_RDWR);
    if (shared_->reader.joinable()) shared_->reader.join();
    ::close(shared_->fd);
}

bool LiveStream::drain(TraceModel& model) {
    std::vector<std::string> lines;
    {
        std::lock_guard lock(shared_->mu);
        lines.swap(shared_->lines);
    }
    for (const auto& l : lines) model.add_line(l);
    return !lines.empty();
}

bool LiveStream::ended() const {
    std::lock_guard lock(shared_->mu);
    return shared_->ended && shared_->lines.empty();
}

std::string LiveStream::status() const {
    std::lock_guard lock(shared_->mu);
    return shared_->ended
               ? fmt::format("live: {} ({} lines received; kept)", shared_->why, shared_->received)
               : fmt::format("live: {} lines received", shared_->received);
}

int connect_stream(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw UsageError(fmt::format("socket path '{}' is too long", path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw UsageError(fmt::format("socket: {}", std::strerror(errno)));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        const int err = errno;
        ::close(fd);
        throw UsageError(fmt::format(
            "cannot connect to '{}': {}; start a command that streams there first (e.g. 'ptv kvm "
            "run GUEST --trace-socket {}')",
            path, std::strerror(err), path));
    }
    return fd;
}

}  // namespace ptv::viz
