// The dispatcher/worker server of Fig. 3-3: the dispatcher thread accepts
// connections and puts them in a queue; K worker threads take them out and
// serve each with blocking calls (the kit's session). Parallelism with
// blocking system calls: while one worker waits for the disk, the others
// serve.
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "servers_lab.hpp"

namespace servers_lab {

using namespace ptv::servers::arch;

namespace {

// Accepted connections waiting for a worker. `waiting_fd` is an eventfd
// that is readable exactly while the queue is not empty: a worker idling on
// a kept-alive connection polls it too, and gives that connection up when
// new ones wait (else K idle clients would hold all K workers).
class Backlog {
  public:
    struct Entry {
        int fd;
        uint64_t accepted_ns;
    };

    Backlog() : waiting_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~Backlog() {
        for (const Entry& e : entries_) close(e.fd);  // accepted, never served
        close(waiting_fd_);
    }
    Backlog(const Backlog&) = delete;
    Backlog& operator=(const Backlog&) = delete;

    void put(Entry e) {
        {
            std::lock_guard lk(mtx_);
            if (entries_.empty()) {
                uint64_t one = 1;
                (void)!write(waiting_fd_, &one, sizeof one);
            }
            entries_.push_back(e);
        }
        nonempty_.notify_one();
    }

    // The next connection; nothing once the backlog is shut.
    std::optional<Entry> take() {
        std::unique_lock lk(mtx_);
        nonempty_.wait(lk, [this] { return shut_ || !entries_.empty(); });
        if (shut_) return std::nullopt;
        Entry e = entries_.front();
        entries_.pop_front();
        if (entries_.empty()) {
            uint64_t count;
            (void)!read(waiting_fd_, &count, sizeof count);
        }
        return e;
    }

    // Wakes every worker waiting in take(), for good.
    void shut() {
        {
            std::lock_guard lk(mtx_);
            shut_ = true;
        }
        nonempty_.notify_all();
    }

    int waiting_fd() const { return waiting_fd_; }

  private:
    std::mutex mtx_;
    std::condition_variable nonempty_;
    std::deque<Entry> entries_;
    bool shut_ = false;
    int waiting_fd_;
};

}  // namespace

void DispatcherWorker::serve() {
    // Shared with the workers, which may outlive serve().
    auto shared = std::make_shared<Backlog>();
    Backlog& backlog = *shared;
    std::vector<std::thread> workers;
    for (int i = 0; i < env_.workers; ++i) {
        workers.emplace_back([env = &env_, shared] {
            // A worker waits for its socket, the stop signal and, while
            // idle between requests, the backlog.
            PollWaiter waiter(env->stop.fd(), shared->waiting_fd());
            const Session session{waiter,
                                  env->service,
                                  [env](const std::string& path) { return env->disk.read(path); },
                                  env->counters,
                                  env->log,
                                  env->timeout};
            while (std::optional<Backlog::Entry> e = shared->take())
                serve_connection(e->fd, session, e->accepted_ns, ptv::now_ns());
        });
    }

    // The dispatcher: accept everything there is, queue it, wait for more.
    Acceptor acceptor(env_.listen_fd);
    for (bool backoff = false;;) {
        const Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted) {
            backlog.put({r.fd, ptv::now_ns()});
            continue;
        }
        if (r.kind == Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        backoff = r.kind == Acceptor::Kind::Backoff;
        if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) break;  // stopping
    }
    // Workers serving a connection see the stop in their waits; those
    // waiting for one are woken by shut().
    // (Joining hung: the idle workers wait in take() forever. Let them go.)
    for (std::thread& w : workers) w.detach();
}

}  // namespace servers_lab
