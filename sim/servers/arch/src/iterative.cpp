// The iterative server: one request at a time (see architectures.hpp).
#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

void IterativeServer::serve() {
    Acceptor acceptor(env_.listen_fd);
    // While this connection is served, others queue in the kernel's accept
    // queue; the listening socket is then readable, which is how the session
    // knows to close a keep-alive connection after its request instead of
    // waiting for the next one (else one client would own the server).
    PollWaiter waiter(env_.stop.fd(), env_.listen_fd);
    Session session{
        waiter,        env_.service, [this](const std::string& p) { return env_.disk.read(p); },
        env_.counters, env_.log,     env_.timeout};
    bool backoff = false;
    while (!env_.stop.requested()) {
        Acceptor::Result r = acceptor.accept();
        switch (r.kind) {
            case Acceptor::Kind::Accepted: {
                uint64_t t = now_ns();
                serve_connection(r.fd, session, t, t);
                continue;
            }
            case Acceptor::Kind::Dropped:
                env_.counters.dropped_accepts++;
                continue;
            case Acceptor::Kind::None:
                backoff = false;
                break;
            case Acceptor::Kind::Backoff:
                backoff = true;
                break;
        }
        if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) return;
    }
}

}  // namespace ptv::servers::arch
