// The process-per-connection server: fork() for every connection (see
// architectures.hpp).
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

void reap_exited(std::vector<int>& children) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        children.erase(std::remove(children.begin(), children.end(), pid), children.end());
}

}  // namespace

void ProcessPerConnectionServer::serve() {
    const int parent = getpid();
    Acceptor acceptor(env_.listen_fd);
    std::vector<int> children;
    bool backoff = false;
    while (!env_.stop.requested()) {
        reap_exited(children);
        Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted) {
            uint64_t accepted = now_ns();
            pid_t pid = fork();
            if (pid == 0) {
                // The child: this connection only. It shares the stop
                // eventfd with its parent, so a stop wakes it too.
                die_with_parent(parent);
                close(env_.listen_fd);
                PollWaiter waiter(env_.stop.fd(), -1);
                Session session{waiter,
                                env_.service,
                                [this](const std::string& p) { return env_.disk.read(p); },
                                env_.counters,
                                env_.log,
                                env_.timeout};
                serve_connection(r.fd, session, accepted, now_ns());
                _exit(0);  // no atexit handlers, no destructors of the parent's objects
            }
            close(r.fd);  // the child has it
            if (pid > 0) {
                children.push_back(pid);
            } else if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), true)) {
                break;  // out of processes: that connection was closed; back off
            }
            continue;
        }
        if (r.kind == Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        backoff = r.kind == Acceptor::Kind::Backoff;
        // Wake at least every 100 ms to reap children that finished.
        pollfd p[2] = {{env_.stop.fd(), POLLIN, 0}, {env_.listen_fd, POLLIN, 0}};
        if (poll(p, backoff ? 1 : 2, 100) > 0 && p[0].revents) break;
    }
    reap_children(children, std::chrono::milliseconds(3000));
}

}  // namespace ptv::servers::arch
