#include "ptv/migration/userfault.hpp"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration {

UserFault::UserFault(uint8_t* base, size_t bytes) : base_(base), bytes_(bytes) {
    fd_ = int(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
    if (fd_ < 0)
        throw std::runtime_error(
            fmt::format("userfaultfd: {} (post-copy needs it: run as root or set "
                        "vm.unprivileged_userfaultfd=1)",
                        std::strerror(errno)));
    uffdio_api api{};
    api.api = UFFD_API;
    if (::ioctl(fd_, UFFDIO_API, &api) < 0) {
        ::close(fd_);
        throw std::runtime_error(fmt::format("UFFDIO_API: {}", std::strerror(errno)));
    }
    uffdio_register reg{};
    reg.range.start = reinterpret_cast<uint64_t>(base);
    reg.range.len = bytes;
    reg.mode = UFFDIO_REGISTER_MODE_MISSING;
    if (::ioctl(fd_, UFFDIO_REGISTER, &reg) < 0) {
        const int e = errno;
        ::close(fd_);
        throw std::runtime_error(fmt::format("UFFDIO_REGISTER: {}", std::strerror(e)));
    }
}

UserFault::~UserFault() {
    uffdio_range range{reinterpret_cast<uint64_t>(base_), bytes_};
    ::ioctl(fd_, UFFDIO_UNREGISTER, &range);
    ::close(fd_);
}

std::optional<uint64_t> UserFault::next_fault() {
    uffd_msg msg;
    for (;;) {
        ssize_t n = ::read(fd_, &msg, sizeof msg);
        if (n < 0 && errno == EINTR) continue;
        if (n != ssize_t(sizeof msg)) return std::nullopt;
        if (msg.event != UFFD_EVENT_PAGEFAULT) continue;
        const uint64_t addr = msg.arg.pagefault.address - reinterpret_cast<uint64_t>(base_);
        return addr / kPageSize;
    }
}

bool UserFault::copy(uint64_t page, const uint8_t* data) {
    uffdio_copy c{};
    c.dst = reinterpret_cast<uint64_t>(base_) + page * kPageSize;
    c.src = reinterpret_cast<uint64_t>(data);
    c.len = kPageSize;
    while (::ioctl(fd_, UFFDIO_COPY, &c) < 0) {
        if (errno == EEXIST) return false;
        if (errno == EAGAIN) continue;
        throw std::runtime_error(fmt::format("UFFDIO_COPY: {}", std::strerror(errno)));
    }
    return true;
}

bool UserFault::zero(uint64_t page) {
    uffdio_zeropage z{};
    z.range.start = reinterpret_cast<uint64_t>(base_) + page * kPageSize;
    z.range.len = kPageSize;
    while (::ioctl(fd_, UFFDIO_ZEROPAGE, &z) < 0) {
        if (errno == EEXIST) return false;
        if (errno == EAGAIN) continue;
        throw std::runtime_error(fmt::format("UFFDIO_ZEROPAGE: {}", std::strerror(errno)));
    }
    return true;
}

}  // namespace ptv::migration
