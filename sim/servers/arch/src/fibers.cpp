// The fiber server: a Boost.Fiber user-level thread per connection, running
// the same blocking-style session as the threaded servers, over an event
// loop (see architectures.hpp).
//
// The trick is the scheduling algorithm. Boost.Fiber asks its algorithm to
// suspend_until() a time whenever no fiber is ready; ours waits in
// epoll_wait() there, and makes ready the fibers whose sockets became
// ready. So a fiber that "blocks" on a socket only parks itself; the kernel
// thread blocks only when every fiber does. Disk reads go to helper
// threads, which wake their fiber across threads (Boost.Fiber then calls
// notify(), which wakes epoll through an eventfd).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <boost/fiber/scheduler.hpp>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_set>

#include "ptv/common/clock.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/disk_helpers.hpp"
#include "ptv/servers/arch/session.hpp"
#include "ptv/servers/arch/socket.hpp"

namespace ptv::servers::arch {

namespace {

namespace bf = boost::fibers;

constexpr size_t kFiberStack = 128 * 1024;

// A descriptor registered with the loop, and the fiber waiting on it.
struct FdWait {
    int fd = -1;
    bf::context* waiter = nullptr;
    uint32_t want = 0;
};

// What the scheduler and the fibers of one server share. Owned jointly by
// the server's thread and its scheduler, which Boost.Fiber destroys only at
// thread exit (and which may still notify() then).
struct Loop {
    explicit Loop(int stop) : stop_fd(stop) {
        ep = epoll_create1(EPOLL_CLOEXEC);
        notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    ~Loop() {
        close(notify_fd);
        close(ep);
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    int ep = -1;
    int notify_fd = -1;  // written by notify(): a fiber was woken from another thread
    int stop_fd = -1;
    bool stopping = false;
    std::unordered_set<FdWait*> waiting;

    void wake(FdWait* w) {
        bf::context* ctx = w->waiter;
        w->waiter = nullptr;
        waiting.erase(w);
        bf::context::active()->schedule(ctx);
    }
};

char kNotifyTag, kStopTag;

class EpollScheduler final : public bf::algo::algorithm {
  public:
    explicit EpollScheduler(std::shared_ptr<Loop> loop) : loop_(std::move(loop)) {}

    void awakened(bf::context* ctx) noexcept override { ctx->ready_link(ready_); }
    bf::context* pick_next() noexcept override {
        if (ready_.empty()) return nullptr;
        bf::context* ctx = &ready_.front();
        ready_.pop_front();
        return ctx;
    }
    bool has_ready_fibers() const noexcept override { return !ready_.empty(); }

    // No fiber is ready: wait for a socket, a cross-thread wake-up, the stop
    // signal or the earliest fiber deadline (tp).
    void suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept override {
        int timeout = -1;
        if (tp != std::chrono::steady_clock::time_point::max()) {
            auto left = tp - std::chrono::steady_clock::now();
            timeout = left.count() <= 0
                          ? 0
                          : int(std::chrono::ceil<std::chrono::milliseconds>(left).count());
        }
        epoll_event events[256];
        int n = epoll_wait(loop_->ep, events, 256, timeout);
        for (int i = 0; i < n; ++i) {
            void* tag = events[i].data.ptr;
            if (tag == &kNotifyTag) {
                uint64_t v;
                (void)!read(loop_->notify_fd, &v, sizeof v);
            } else if (tag == &kStopTag) {
                loop_->stopping = true;
                while (!loop_->waiting.empty()) loop_->wake(*loop_->waiting.begin());
            } else {
                auto* w = static_cast<FdWait*>(tag);
                if (w->waiter && (events[i].events & (w->want | EPOLLERR | EPOLLHUP)))
                    loop_->wake(w);
            }
        }
    }
    void notify() noexcept override {
        uint64_t one = 1;
        (void)!write(loop_->notify_fd, &one, sizeof one);
    }

  private:
    std::shared_ptr<Loop> loop_;
    bf::scheduler::ready_queue_type ready_;
};

// Parks the calling fiber until its descriptor is ready.
class FiberWaiter final : public Waiter {
  public:
    FiberWaiter(Loop& loop, int fd) : loop_(loop) {
        wait_.fd = fd;
        epoll_event ev{};
        // Edge-triggered and registered once: a wait always follows an
        // EAGAIN, so no edge can be missed.
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = &wait_;
        epoll_ctl(loop.ep, EPOLL_CTL_ADD, fd, &ev);
    }

    Result wait(int, short events, uint64_t deadline_ns, bool) override {
        if (loop_.stopping) return Result::Stop;
        wait_.want = ((events & POLLIN) ? (EPOLLIN | EPOLLRDHUP) : 0u) |
                     ((events & POLLOUT) ? uint32_t(EPOLLOUT) : 0u);
        bf::context* self = bf::context::active();
        wait_.waiter = self;
        loop_.waiting.insert(&wait_);
        if (deadline_ns != 0)
            self->wait_until(
                std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
        else
            self->suspend();
        if (wait_.waiter) {  // not woken by the loop: the deadline passed
            wait_.waiter = nullptr;
            loop_.waiting.erase(&wait_);
            return loop_.stopping ? Result::Stop : Result::Timeout;
        }
        return loop_.stopping ? Result::Stop : Result::Ready;
    }
    bool contended() override { return false; }  // a fiber per connection: nobody waits

  private:
    Loop& loop_;
    FdWait wait_;
};

void add_tag(int ep, int fd, void* tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

}  // namespace

void FiberServer::serve() {
    // Its own kernel thread, so that the fiber scheduler (thread-local) is
    // made for this server and goes away with it.
    std::thread([this] {
        auto shared_loop = std::make_shared<Loop>(env_.stop.fd());
        Loop& loop = *shared_loop;
        add_tag(loop.ep, loop.notify_fd, &kNotifyTag);
        add_tag(loop.ep, loop.stop_fd, &kStopTag);
        bf::use_scheduling_algorithm<EpollScheduler>(shared_loop);
        {
            DiskHelpers helpers(env_.disk, env_.workers);
            DiskAccess read_disk = [this, &helpers](const std::string& path) {
                if (auto hit = env_.disk.lookup(path)) return *hit;  // no helper for a hit
                auto promise = std::make_shared<bf::promise<http::DiskRead>>();
                bf::future<http::DiskRead> result = promise->get_future();
                helpers.submit(path,
                               [promise](http::DiskRead&& r) { promise->set_value(std::move(r)); });
                return result.get();  // parks this fiber only
            };

            bf::mutex mtx;
            bf::condition_variable all_done;
            size_t live = 0;

            // The main fiber accepts.
            FiberWaiter accept_waiter(loop, env_.listen_fd);
            Acceptor acceptor(env_.listen_fd);
            while (!loop.stopping) {
                Acceptor::Result r = acceptor.accept();
                if (r.kind == Acceptor::Kind::Accepted) {
                    uint64_t accepted = now_ns();
                    ++live;
                    bf::fiber(std::allocator_arg, bf::fixedsize_stack(kFiberStack),
                              [&, fd = r.fd, accepted] {
                                  FiberWaiter waiter(loop, fd);
                                  Session session{waiter,        env_.service, read_disk,
                                                  env_.counters, env_.log,     env_.timeout};
                                  serve_connection(fd, session, accepted, now_ns());
                                  std::unique_lock lk(mtx);
                                  if (--live == 0) all_done.notify_all();
                              })
                        .detach();
                    continue;
                }
                if (r.kind == Acceptor::Kind::Dropped) {
                    env_.counters.dropped_accepts++;
                    continue;
                }
                if (r.kind == Acceptor::Kind::Backoff) {
                    boost::this_fiber::sleep_for(std::chrono::milliseconds(100));
                    continue;
                }
                accept_waiter.wait(env_.listen_fd, POLLIN, 0, false);
            }
            std::unique_lock lk(mtx);
            all_done.wait(lk, [&] { return live == 0; });
        }
    }).join();
}

}  // namespace ptv::servers::arch
