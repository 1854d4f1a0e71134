// The dispatcher/worker server of Fig. 3-3 (see architectures.hpp).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/readiness.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

// The dispatcher's queue of connections with a request ready. Its eventfd
// is readable while the queue is not empty: a worker idling on a keep-alive
// connection watches it and gives that connection up when others wait.
class ConnectionQueue {
  public:
    struct Item {
        int fd;
        uint64_t arrived_ns;  // when its first bytes were seen
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

// epoll's data.u32 for the dispatcher's three descriptors.
enum Tag : uint32_t { kListen, kStop, kReadiness };

// The dispatcher: this thread. It waits in one epoll on the listening
// socket, the stop signal and the connections still silent (the readiness
// loop), and queues a connection for the workers only once it has spoken:
// a connection that never does costs no worker, and is closed when its
// first-byte timeout passes.
void dispatch(ServerEnv& env, ConnectionQueue& queue) {
    Acceptor acceptor(env.listen_fd);
    ReadinessLoop silent(env.timeout, env.counters);
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    auto watch = [ep](int fd, uint32_t tag, int op) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = tag;
        epoll_ctl(ep, op, fd, &ev);
    };
    watch(env.listen_fd, kListen, EPOLL_CTL_ADD);
    watch(env.stop.fd(), kStop, EPOLL_CTL_ADD);
    watch(silent.fd(), kReadiness, EPOLL_CTL_ADD);
    bool listening = true;
    uint64_t backoff_until = 0;
    std::vector<ReadinessLoop::Ready> ready;
    epoll_event events[3];
    while (!env.stop.requested()) {
        const int timeout_ms = silent.wait_ms(listening ? UINT64_MAX : backoff_until);
        const int n = epoll_wait(ep, events, 3, timeout_ms);
        if (n < 0 && errno != EINTR) break;
        bool accept_now = false, stopping = false;
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u32 == kStop) stopping = true;
            if (events[i].data.u32 == kListen) accept_now = true;
        }
        if (stopping) break;
        if (accept_now && !silent.accept_from(acceptor)) {
            // Out of descriptors and no spare: stop watching the listening
            // socket for a while, or this loop would spin.
            watch(env.listen_fd, kListen, EPOLL_CTL_DEL);
            listening = false;
            backoff_until = now_ns() + 100'000'000;
        }
        ready.clear();
        silent.collect(ready);
        for (const auto& r : ready) queue.push({r.fd, r.ready_ns});
        if (!listening && now_ns() >= backoff_until) {
            watch(env.listen_fd, kListen, EPOLL_CTL_ADD);
            listening = true;
        }
    }
    close(ep);
}

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
            while (queue.pop(item)) serve_connection(item.fd, session, item.arrived_ns, now_ns());
        });
    }
    dispatch(env_, queue);
    queue.close_queue();
    for (auto& w : workers) w.join();
}

}  // namespace ptv::servers::arch
