// Reading a child's output pipe until it has said enough or time is up:
// waits in poll() (so a silent child costs nothing) and appends what comes
// to `buffer`. Used wherever ptvlab starts a server and waits for its first
// line, or drains what it printed.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "ptv/common/clock.hpp"

namespace ptv {

// Reads from `fd` into `buffer` until `done(buffer)`, end of file, or
// `timeout_s` seconds. Returns true if `done` held.
template <class Done>
bool read_until(int fd, std::string& buffer, double timeout_s, Done done) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    while (fd >= 0 && !done(buffer) && now_ns() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[65536];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        buffer.append(buf, size_t(n));
    }
    return done(buffer);
}

// Until the first complete line.
inline bool has_line(const std::string& s) {
    return s.find('\n') != std::string::npos;
}
// Until end of file (or the timeout).
inline bool never(const std::string&) {
    return false;
}

}  // namespace ptv
