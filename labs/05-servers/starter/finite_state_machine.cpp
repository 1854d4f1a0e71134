// Your finite-state-machine server (Flash's AMPED; servers_lab.hpp): one
// thread, one epoll set, non-blocking sockets, and per connection a record
// of where it stands. The thread never blocks on one client or on the disk.
//
// What the kit gives you (read the headers):
//   ptv/servers/arch/socket.hpp        Acceptor (non-blocking connections)
//   ptv/servers/arch/disk_helpers.hpp  DiskHelpers: K threads that block on
//                                      the disk for you and call you back
//   ptv/servers/http/request.hpp       RequestParser: feed it the bytes as
//                                      they come, in any pieces
//   ptv/servers/http/service.hpp       env_.service.plan() / finish()
//   ptv/servers/http/disk.hpp          env_.disk.lookup(): the cache, never
//                                      blocks; env_.disk.read() blocks
//   ptv/servers/http/reply.hpp         render_head(), error_reply()
//   ptv/common/clock.hpp               ptv::now_ns()
#include "ptv/lab/harness.hpp"
#include "servers_lab.hpp"

namespace servers_lab {

void FiniteStateMachine::serve() {
    // TODO(L5.4): the event loop: epoll_create1; watch env_.listen_fd,
    // env_.stop.fd() and an eventfd the disk helpers write to; loop on
    // epoll_wait until the stop fd is readable. Accept every waiting
    // connection (Acceptor, until Kind::None) and register it once
    // (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) with its own record.
    //
    // TODO(L5.5): per connection, a state machine: Reading (recv until
    // EAGAIN, feeding the parser; a request may come in many pieces, and
    // bytes after it belong to the next one), WaitingForDisk, Writing
    // (sendmsg until done or EAGAIN; then the next request, or close),
    // Lingering (after an error reply: half-close, drain, close).
    //
    // TODO(L5.6): the disk: plan(); a reply at once, a cache hit
    // (lookup()), or a miss handed to DiskHelpers::submit, whose callback
    // (on a helper thread) queues the result under a mutex and writes the
    // eventfd; the loop then finishes the reply. Never env_.disk.read()
    // in the loop.
    //
    // TODO(L5.7): deadlines: a connection idle or reading its request for
    // env_.timeout is closed (with a 408 if a request had started), a reply
    // that makes no progress for env_.timeout is abandoned; epoll_wait's
    // timeout is the earliest deadline. At the stop: the helpers joined,
    // every connection, the eventfd and the epoll set closed.
    throw ptv::lab::NotImplemented("servers_lab::FiniteStateMachine::serve");
}

}  // namespace servers_lab
