#include "worker_watch.hpp"

#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstring>

namespace ptv::cli {

StopSignals::StopSignals() {
    sigset_t stop;
    sigemptyset(&stop);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop, sig);
    sigprocmask(SIG_BLOCK, &stop, &old_);
    fd_ = ::signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
}

StopSignals::~StopSignals() {
    signalfd_siginfo info;
    while (::read(fd_, &info, sizeof info) == sizeof info) {
    }
    ::close(fd_);
    sigprocmask(SIG_SETMASK, &old_, nullptr);
}

std::string describe_wait_status(int status) {
    if (WIFSIGNALED(status))
        return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    return fmt::format("exited with status {} without reporting a result", WEXITSTATUS(status));
}

TerminalMode::TerminalMode(int fd) : fd_(fd) {
    saved_ = ::isatty(fd) && ::tcgetattr(fd, &mode_) == 0;
}

TerminalMode::~TerminalMode() {
    if (saved_) ::tcsetattr(fd_, TCSANOW, &mode_);
}

}  // namespace ptv::cli
