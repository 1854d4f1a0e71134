#include "ptv/worker/spawn.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

extern char** environ;

namespace ptv::worker {

SpawnedWorker spawn_worker(const WorkerSpawn& how) {
    SpawnedWorker w;
    int theirs = how.control_fd;
    if (theirs < 0) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            w.error = errno;
            return w;
        }
        w.control = sv[0];
        theirs = sv[1];
    }
    // Each inherited descriptor is first copied above the numbers it goes
    // to: a dup2 onto itself would keep it close-on-exec, and one onto
    // another's source would overwrite it. The copies are close-on-exec;
    // dup2 clears that on the worker's 3, 4, ...
    std::vector<int> sources = {theirs};
    sources.insert(sources.end(), how.extra_fds.begin(), how.extra_fds.end());
    const int first_free = 3 + int(sources.size());
    std::vector<int> copies;
    for (int fd : sources) copies.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, first_free));

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t mask;
    if (how.sigmask)
        mask = *how.sigmask;
    else
        sigemptyset(&mask);
    posix_spawnattr_setsigmask(&attr, &mask);
    short flags = POSIX_SPAWN_SETSIGMASK;
    if (how.own_process_group) {
        posix_spawnattr_setpgroup(&attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr, flags);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (size_t i = 0; i < copies.size(); ++i)
        posix_spawn_file_actions_adddup2(&actions, copies[i], 3 + int(i));
    if (!how.log_path.empty()) {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, how.log_path.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    } else if (how.stdout_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, how.stdout_fd, 1);
    }

    std::vector<char*> argv;
    for (const auto& a : how.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(nullptr);  // nothing of ours buffered twice
    const int err = ::posix_spawn(&w.pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (int fd : copies)
        if (fd >= 0) ::close(fd);
    if (how.control_fd < 0) ::close(theirs);
    if (err != 0) {
        if (w.control >= 0) ::close(w.control);
        w.control = -1;
        w.pid = -1;
        w.error = err;
    }
    return w;
}

}  // namespace ptv::worker
