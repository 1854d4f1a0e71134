// The relay's inner loop (see relay.hpp): the path every byte through the
// switch takes, so it makes as few system calls as it can.
#include "relay.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ptv::servers::frontend {

namespace {

// Writes what it can; -1 on an error other than a full buffer.
ssize_t write_some(int fd, const char* data, size_t size) {
    for (;;) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

}  // namespace

PumpResult pump(Flow& f, int src, int dst, std::span<char> scratch, bool drain) {
    if (f.pending_size > f.pending_at) {
        const size_t left = f.pending_size - f.pending_at;
        const ssize_t n = write_some(dst, f.pending.get() + f.pending_at, left);
        if (n < 0) return PumpResult::Failed;
        f.pending_at += size_t(n);
        f.bytes->fetch_add(uint64_t(n), std::memory_order_relaxed);
        if (size_t(n) < left) return PumpResult::Ok;  // wait for dst to take more
        f.pending.reset();
        f.pending_size = f.pending_at = 0;
    }
    while (!f.eof) {
        const ssize_t got = recv(src, scratch.data(), scratch.size(), MSG_DONTWAIT);
        if (got > 0) {
            const ssize_t put = write_some(dst, scratch.data(), size_t(got));
            if (put < 0) return PumpResult::Failed;
            f.bytes->fetch_add(uint64_t(put), std::memory_order_relaxed);
            if (put < got) {
                f.pending_size = size_t(got - put);
                f.pending_at = 0;
                f.pending = std::make_unique<char[]>(f.pending_size);
                std::memcpy(f.pending.get(), scratch.data() + put, f.pending_size);
                return PumpResult::Ok;
            }
            if (size_t(got) < scratch.size() && !drain) return PumpResult::Ok;
            continue;
        }
        if (got == 0) {
            f.eof = true;
            break;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return PumpResult::Ok;
        return PumpResult::Failed;
    }
    if (!f.shut) {
        // The server may be gone already (ENOTCONN): the half-close has
        // nowhere to go, and closing the relay says the rest.
        shutdown(dst, SHUT_WR);
        f.shut = true;
    }
    return PumpResult::Ok;
}

}  // namespace ptv::servers::frontend
