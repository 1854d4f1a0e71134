// The prefork server: K processes forked in advance (see architectures.hpp).
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

// One preforked process: accept, serve that connection, accept again. All
// of them wait on the same listening socket; the kernel wakes them all and
// one wins each connection (the others get EAGAIN).
[[noreturn]] void child_loop(ServerEnv& env) {
    Acceptor acceptor(env.listen_fd);
    PollWaiter waiter(env.stop.fd(), env.listen_fd);
    Session session{
        waiter,       env.service, [&env](const std::string& p) { return env.disk.read(p); },
        env.counters, env.log,     env.timeout};
    bool backoff = false;
    while (!env.stop.requested()) {
        Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted) {
            uint64_t t = now_ns();
            serve_connection(r.fd, session, t, t);
            continue;
        }
        if (r.kind == Acceptor::Kind::Dropped) {
            env.counters.dropped_accepts++;
            continue;
        }
        backoff = r.kind == Acceptor::Kind::Backoff;
        if (!wait_to_accept(env.listen_fd, env.stop.fd(), backoff)) break;
    }
    _exit(0);
}

}  // namespace

void PreforkServer::serve() {
    const int parent = getpid();
    std::vector<int> children;
    auto start_child = [&]() -> bool {
        pid_t pid = fork();
        if (pid == 0) {
            die_with_parent(parent);
            child_loop(env_);
        }
        if (pid < 0) return false;
        children.push_back(pid);
        return true;
    };
    for (int i = 0; i < env_.workers; ++i)
        if (!start_child()) break;

    // The parent keeps the pool full: a child that dies is replaced, unless
    // they die faster than one per 100 ms on average (then something is wrong
    // with every child, and replacing them would only spin).
    uint64_t window_start = now_ns();
    int deaths_in_window = 0;
    for (;;) {
        pollfd p{env_.stop.fd(), POLLIN, 0};
        if (poll(&p, 1, 100) > 0) break;
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            children.erase(std::remove(children.begin(), children.end(), pid), children.end());
            if (env_.stop.requested()) break;
            if (now_ns() - window_start > 1'000'000'000) {
                window_start = now_ns();
                deaths_in_window = 0;
            }
            if (++deaths_in_window > 10) {
                std::fprintf(stderr, "ptv servers: prefork children keep dying; not replacing\n");
                continue;
            }
            start_child();
        }
        if (children.empty()) break;
    }
    env_.stop.request();  // children stop too if the parent ends for another reason
    reap_children(children, std::chrono::milliseconds(3000));
}

}  // namespace ptv::servers::arch
