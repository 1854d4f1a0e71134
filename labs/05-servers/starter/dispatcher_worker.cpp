// Your dispatcher/worker server (Fig. 3-3; servers_lab.hpp): the thread
// that calls serve() is the dispatcher; it accepts connections and queues
// them for K = env_.workers worker threads, which serve each connection
// with the kit's blocking-style session.
//
// What the kit gives you (read the headers):
//   ptv/servers/arch/socket.hpp        Acceptor: accept4() that survives
//                                      running out of descriptors
//   ptv/servers/arch/architectures.hpp wait_to_accept(listen_fd, stop_fd,
//                                      backoff): false once stopping
//   ptv/servers/arch/session.hpp       Session, PollWaiter, serve_connection
//   ptv/common/clock.hpp               ptv::now_ns()
#include "ptv/lab/harness.hpp"
#include "servers_lab.hpp"

namespace servers_lab {

void DispatcherWorker::serve() {
    // TODO(L5.1): the queue of accepted connections: a mutex, a condition
    // variable, a deque of (fd, accepted_ns), and a way to wake every
    // waiting worker for good when the server stops.
    //
    // TODO(L5.2): start env_.workers worker threads. Each makes a
    // PollWaiter(env_.stop.fd(), CONTENTION_FD) and a Session whose
    // read_disk is env_.disk.read, then serves connection after connection
    // from the queue with serve_connection(fd, session, accepted_ns,
    // ptv::now_ns()) until the queue says stop. CONTENTION_FD is a
    // descriptor that is readable exactly while connections wait in the
    // queue (an eventfd): with it, a worker idling on a kept-alive
    // connection gives that connection up when others wait.
    //
    // TODO(L5.3): the dispatcher (this thread): Acceptor on
    // env_.listen_fd; queue every connection accepted; when there is none
    // (Kind::None, or Kind::Backoff), wait_to_accept(); when that says the
    // server is stopping, wake the workers, join them, and return. Close
    // any connection still queued.
    throw ptv::lab::NotImplemented("servers_lab::DispatcherWorker::serve");
}

}  // namespace servers_lab
