// The active health check (see health_check.hpp).
#include "health_check.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ptv::servers::frontend {

HealthChecks::HealthChecks(int epoll_fd, std::span<const Address> backends)
    : epoll_(epoll_fd), backends_(backends.begin(), backends.end()), checks_(backends.size()) {
    for (size_t i = 0; i < checks_.size(); ++i) checks_[i].end.backend = i;
}

HealthChecks::~HealthChecks() {
    for (Check& c : checks_) finish(c);
}

void HealthChecks::finish(Check& c) {
    if (c.fd < 0) return;
    // A reset rather than a FIN: the check leaves no TIME_WAIT behind, five
    // times a second per server (HAProxy closes its checks the same way).
    linger off{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    // Out of the epoll set before the close (see forget() in the switch).
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
}

void HealthChecks::round(uint64_t now_ns, std::vector<Result>& out) {
    for (size_t i = 0; i < checks_.size(); ++i) {
        Check& c = checks_[i];
        if (c.fd >= 0) {
            out.push_back({i, false, "no answer to the health check", c.started_ns});
            finish(c);
        }
        c.started_ns = now_ns;
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) continue;  // out of descriptors: the switch's trouble, not the server's
        const sockaddr_in a = backends_[i].sockaddr();
        if (connect(c.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
            out.push_back({i, true, "", now_ns});
            finish(c);
            continue;
        }
        if (errno != EINPROGRESS) {
            out.push_back({i, false, std::strerror(errno), now_ns});
            finish(c);
            continue;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.ptr = &c.end;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    }
}

HealthChecks::Result HealthChecks::answered(size_t backend) {
    Check& c = checks_[backend];
    Result r{backend, false, "", c.started_ns};
    // The event may be of the last round's socket, reported in the same
    // batch as the timer that replaced it: the new one has not answered yet.
    pollfd p{c.fd, POLLOUT, 0};
    if (c.fd < 0 || poll(&p, 1, 0) != 1) {
        r.stale = true;
        return r;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    r.ok = err == 0;
    if (err != 0) r.reason = std::strerror(err);
    finish(c);
    return r;
}

}  // namespace ptv::servers::frontend
