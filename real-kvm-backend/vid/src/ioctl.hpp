// vid's one way to call an ioctl: retried on EINTR, except KVM_RUN (whose
// EINTR is a kick the caller must see). Private to vid/src.
#pragma once

#include <sys/ioctl.h>

#include <cerrno>

namespace ptv::vid::detail {

inline int xioctl(int fd, unsigned long req, auto arg) {
    int r;
    do r = ::ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR && req != KVM_RUN);
    return r;
}

}  // namespace ptv::vid::detail
