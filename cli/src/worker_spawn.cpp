#include "worker_spawn.hpp"

#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ptv/common/error.hpp"

namespace ptv::cli {

SpawnedWorker spawn_worker(std::vector<std::string> args, int fd4, const sigset_t& mask,
                           int stdout_fd) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 onto 3 and 4 clears close-on-exec on the copies. fd4 first if it
    // sits on 3 would be overwritten: both come from socket(), above 4.
    posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
    if (fd4 >= 0) posix_spawn_file_actions_adddup2(&actions, fd4, 4);
    if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    std::fflush(nullptr);
    pid_t pid = -1;
    const int err = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (err != 0) {
        ::close(sv[0]);
        throw UsageError(fmt::format("cannot start worker '{}': {}; run 'make build'", args[0],
                                     std::strerror(err)));
    }
    return {pid, sv[0]};
}

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

}  // namespace ptv::cli
