// The thread-per-connection server (see architectures.hpp).
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

void ThreadPerConnectionServer::serve() {
    Acceptor acceptor(env_.listen_fd);
    // The threads are detached; this counts them, so that serve() returns
    // only when the last one is done with env_.
    std::mutex mtx;
    std::condition_variable all_done;
    size_t live = 0;

    auto connection_thread = [&](int fd, uint64_t accepted) {
        PollWaiter waiter(env_.stop.fd(), -1);  // a thread of its own: never contended
        Session session{
            waiter,        env_.service, [this](const std::string& p) { return env_.disk.read(p); },
            env_.counters, env_.log,     env_.timeout};
        serve_connection(fd, session, accepted, now_ns());
        std::lock_guard lk(mtx);
        if (--live == 0) all_done.notify_all();  // under the lock: serve() cannot return before
    };

    bool backoff = false;
    while (!env_.stop.requested()) {
        Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted) {
            uint64_t accepted = now_ns();
            {
                std::lock_guard lk(mtx);
                ++live;
            }
            try {
                std::thread(connection_thread, r.fd, accepted).detach();
            } catch (const std::system_error&) {  // out of threads: shed this one
                close(r.fd);
                std::lock_guard lk(mtx);
                --live;
                backoff = true;
                if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), true)) break;
            }
            continue;
        }
        if (r.kind == Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        backoff = r.kind == Acceptor::Kind::Backoff;
        if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) break;
    }
    std::unique_lock lk(mtx);
    all_done.wait(lk, [&] { return live == 0; });
}

}  // namespace ptv::servers::arch
