#include "ptv/containers/namespaces.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ptv::containers {

std::vector<std::string> namespace_steps(const std::string& hostname) {
    return {
        "namespace: new PID namespace — the command will be PID 1 and see only its own "
        "processes",
        "namespace: new mount namespace — the overlay, /proc, /sys and /dev mounted inside are "
        "invisible to the host",
        "namespace: new UTS namespace — its own host name (" + hostname + ")",
        "namespace: new IPC namespace — its own System V IPC objects and POSIX message queues",
        "namespace: new network namespace — no interfaces but its own loopback lo",
    };
}

int bring_up_loopback() {
    // The ioctl that `ip link set lo up` boils down to, on any socket of
    // the namespace.
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return errno;
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    int err = 0;
    if (::ioctl(s, SIOCGIFFLAGS, &req) < 0) {
        err = errno;
    } else {
        req.ifr_flags = short(req.ifr_flags | IFF_UP);
        if (::ioctl(s, SIOCSIFFLAGS, &req) < 0) err = errno;
    }
    ::close(s);
    return err;
}

}  // namespace ptv::containers
