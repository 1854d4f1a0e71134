// The prefork server: K processes forked in advance (see architectures.hpp).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/readiness.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

// One preforked process. All of them wait on the same listening socket;
// the kernel wakes them all and one wins each connection (the others get
// EAGAIN). A child takes what is queued into its own readiness loop and
// serves a connection only once it has a request ready, so silent
// connections hold no child. Its epoll set (the listening socket and its
// readiness loop) is readable exactly when others wait for this child:
// it is the session's contention descriptor.
[[noreturn]] void child_loop(ServerEnv& env) {
    Acceptor acceptor(env.listen_fd);
    ReadinessLoop silent(env.timeout, env.counters);
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    auto watch = [ep](int fd, int op) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, op, fd, &ev);
    };
    watch(env.listen_fd, EPOLL_CTL_ADD);
    watch(silent.fd(), EPOLL_CTL_ADD);
    PollWaiter waiter(env.stop.fd(), ep);
    Session session{
        waiter,       env.service, [&env](const std::string& p) { return env.disk.read(p); },
        env.counters, env.log,     env.timeout};
    bool listening = true;
    uint64_t backoff_until = 0;
    std::vector<ReadinessLoop::Ready> ready;
    while (!env.stop.requested()) {
        // Accept what is queued (never wait for it: that is the epoll's job).
        if (listening && !silent.accept_from(acceptor)) {
            watch(env.listen_fd, EPOLL_CTL_DEL);  // else the wait would spin
            listening = false;
            backoff_until = now_ns() + 100'000'000;
        }
        // One at a time: the others that have spoken stay in the set, which
        // keeps the contention descriptor readable while this one is served.
        ready.clear();
        silent.collect(ready, 1);
        if (!ready.empty()) serve_connection(ready[0].fd, session, ready[0].ready_ns, now_ns());
        if (!listening && now_ns() >= backoff_until) {
            watch(env.listen_fd, EPOLL_CTL_ADD);
            listening = true;
        }
        if (!ready.empty()) continue;  // more may have come meanwhile
        const int timeout_ms = silent.wait_ms(listening ? UINT64_MAX : backoff_until);
        pollfd p[2] = {{ep, POLLIN, 0}, {env.stop.fd(), POLLIN, 0}};
        if (poll(p, 2, timeout_ms) < 0 && errno != EINTR) break;
    }
    close(ep);
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
