// Choosing an architecture, and what the accept loops share.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/server_registry.hpp"

namespace ptv::servers::arch {

void serve(Architecture a, ServerEnv& env) {
    builtin_servers().make(to_string(a), env)->serve();
}

bool wait_to_accept(int listen_fd, int stop_fd, bool backoff) {
    for (;;) {
        pollfd p[2] = {{stop_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
        // Backing off: do not watch the listening socket, which stays
        // readable while its queue is full, or the loop would spin.
        int n = poll(p, backoff ? 1 : 2, backoff ? 100 : -1);
        if (n < 0 && errno == EINTR) continue;
        if (p[0].revents) return false;
        return true;
    }
}

void reap_children(std::vector<int>& pids, std::chrono::milliseconds grace) {
    const uint64_t deadline = now_ns() + uint64_t(grace.count()) * 1'000'000;
    auto reap_some = [&pids] {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            pids.erase(std::remove(pids.begin(), pids.end(), pid), pids.end());
        if (pid < 0 && errno == ECHILD) pids.clear();
    };
    while (!pids.empty() && now_ns() < deadline) {
        reap_some();
        if (!pids.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int pid : pids) kill(pid, SIGKILL);
    for (int pid : pids) waitpid(pid, nullptr, 0);
    pids.clear();
}

void die_with_parent(int parent_pid) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent_pid) _exit(0);  // the parent died before prctl
}

}  // namespace ptv::servers::arch
