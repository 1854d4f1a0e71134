// The stop signal (see stop.hpp).
#include "ptv/servers/arch/stop.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace ptv::servers::arch {

namespace {

volatile sig_atomic_t g_stop_fd = -1;

void on_stop_signal(int) {
    int saved = errno;
    uint64_t one = 1;
    if (g_stop_fd >= 0) (void)!write(g_stop_fd, &one, sizeof one);
    errno = saved;
}

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

}  // namespace

StopSignal::StopSignal() {
    // Not EFD_CLOEXEC: nothing is exec'd with it, and fork() shares it.
    fd_ = eventfd(0, EFD_NONBLOCK);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

StopSignal::~StopSignal() {
    if (caught_) {
        for (int s : kStopSignals) signal(s, SIG_DFL);
        g_stop_fd = -1;
    }
    close(fd_);
}

void StopSignal::request() {
    uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);
}

bool StopSignal::requested() const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

void StopSignal::catch_signals() {
    g_stop_fd = fd_;
    struct sigaction sa {};
    sa.sa_handler = &on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int s : kStopSignals) sigaction(s, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    caught_ = true;
}

}  // namespace ptv::servers::arch
