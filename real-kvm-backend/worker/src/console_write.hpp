// Writing to the user's terminal from the worker: all of it, or as much as
// the reader takes. A terminal that went away must not stop the guest, so
// a failed write just ends the attempt.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace ptv::worker {

inline void write_to_console(int fd, std::string_view bytes) {
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the reader went away; the guest goes on
        p += n;
        left -= size_t(n);
    }
}

}  // namespace ptv::worker
