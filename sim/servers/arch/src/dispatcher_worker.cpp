// The dispatcher/worker server of Fig. 3-3 (see architectures.hpp).
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

// The dispatcher's queue of accepted connections. Its eventfd is readable
// while the queue is not empty: a worker idling on a keep-alive connection
// watches it and gives that connection up when others wait.
class ConnectionQueue {
  public:
    struct Item {
        int fd;
        uint64_t accepted_ns;
    };

    ConnectionQueue() : waiting_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~ConnectionQueue() {
        for (auto& item : items_) close(item.fd);
        close(waiting_fd_);
    }

    void push(Item item) {
        {
            std::lock_guard lk(mtx_);
            if (items_.empty()) signal_waiting(true);
            items_.push_back(item);
        }
        cv_.notify_one();
    }
    // Blocks for the next connection; false once closed.
    bool pop(Item& item) {
        std::unique_lock lk(mtx_);
        cv_.wait(lk, [this] { return closed_ || !items_.empty(); });
        if (closed_) return false;
        item = items_.front();
        items_.pop_front();
        if (items_.empty()) signal_waiting(false);
        return true;
    }
    void close_queue() {
        {
            std::lock_guard lk(mtx_);
            closed_ = true;
        }
        cv_.notify_all();
    }
    int waiting_fd() const { return waiting_fd_; }

  private:
    void signal_waiting(bool on) {
        uint64_t v = 1;
        if (on)
            (void)!write(waiting_fd_, &v, sizeof v);
        else
            (void)!read(waiting_fd_, &v, sizeof v);
    }

    std::mutex mtx_;
    std::condition_variable cv_;
    std::deque<Item> items_;
    bool closed_ = false;
    int waiting_fd_;
};

}  // namespace

void DispatcherWorkerServer::serve() {
    ConnectionQueue queue;
    std::vector<std::thread> workers;
    for (int i = 0; i < env_.workers; ++i) {
        workers.emplace_back([this, &queue] {
            PollWaiter waiter(env_.stop.fd(), queue.waiting_fd());
            Session session{waiter,
                            env_.service,
                            [this](const std::string& p) { return env_.disk.read(p); },
                            env_.counters,
                            env_.log,
                            env_.timeout};
            ConnectionQueue::Item item;
            while (queue.pop(item)) serve_connection(item.fd, session, item.accepted_ns, now_ns());
        });
    }

    // The dispatcher: this thread.
    Acceptor acceptor(env_.listen_fd);
    bool backoff = false;
    while (!env_.stop.requested()) {
        Acceptor::Result r = acceptor.accept();
        if (r.kind == Acceptor::Kind::Accepted) {
            queue.push({r.fd, now_ns()});
            continue;
        }
        if (r.kind == Acceptor::Kind::Dropped) {
            env_.counters.dropped_accepts++;
            continue;
        }
        backoff = r.kind == Acceptor::Kind::Backoff;
        if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) break;
    }
    queue.close_queue();
    for (auto& w : workers) w.join();
}

}  // namespace ptv::servers::arch
