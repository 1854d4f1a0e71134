// The reference user-level thread package: threads, the scheduler, the
// mutex and the condition variable of uthread.hpp, many-to-one on the
// kernel thread that calls run().
#include "uthread.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <set>
#include <system_error>
#include <tuple>

namespace uthread {

struct Thread;
namespace {
Context& thread_body(Thread* t);
}

// A thread control block: what the package keeps per thread while the
// thread is not running (ch. 3.1).
struct Thread {
    enum class State { Ready, Running, Blocked, Sleeping, WaitingIo, Ended };

    Id id = 0;
    State state = State::Ready;
    std::function<void()> function;
    Context context;
    Thread* next_ready = nullptr;  // the ready queue's link
    std::vector<Thread*> joiners;  // in the order they called join
    int io_fd = -1;

    Thread(Id i, std::function<void()> f)
        : id(i),
          function(std::move(f)),
          context([this]() -> Context& { return thread_body(this); }) {}
};

namespace {

using Clock = std::chrono::steady_clock;

// Thrown by exit() and caught where the thread's function was called.
struct ThreadExit {};

// One FIFO of ready threads, linked through the threads themselves so that
// a yield allocates nothing.
class ReadyQueue {
  public:
    void push(Thread* t) {
        t->state = Thread::State::Ready;
        t->next_ready = nullptr;
        if (tail_)
            tail_->next_ready = t;
        else
            head_ = t;
        tail_ = t;
    }
    Thread* pop() {
        Thread* t = head_;
        if (!t) return nullptr;
        head_ = t->next_ready;
        if (!head_) tail_ = nullptr;
        return t;
    }
    bool empty() const { return head_ == nullptr; }

  private:
    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
};

// Everything of one run().
struct Scheduler {
    Context* main = nullptr;                       // the kernel thread that called run()
    std::vector<std::unique_ptr<Thread>> threads;  // by id
    Thread* current = nullptr;
    ReadyQueue ready;
    size_t live = 0;  // threads not ended
    // Sleepers by (deadline, order of the call).
    std::set<std::tuple<Clock::time_point, uint64_t, Thread*>> sleepers;
    uint64_t sleep_calls = 0;
    int epoll = -1;
    size_t io_waiters = 0;
};

Scheduler* g = nullptr;

[[noreturn, gnu::cold]] void outside_run() {
    throw std::logic_error("uthread: called outside uthread::run()");
}

inline Scheduler& sched() {
    if (!g) outside_run();
    return *g;
}

void wake_due_sleepers(Scheduler& s) {
    const Clock::time_point now = Clock::now();
    while (!s.sleepers.empty() && std::get<0>(*s.sleepers.begin()) <= now) {
        Thread* t = std::get<2>(*s.sleepers.begin());
        s.sleepers.erase(s.sleepers.begin());
        s.ready.push(t);
    }
}

// Waits up to timeout_ms (0: just looks) and makes the threads whose file
// descriptor epoll reports ready.
void poll_io(Scheduler& s, int timeout_ms) {
    epoll_event events[16];
    int n;
    do {
        n = ::epoll_wait(s.epoll, events, 16, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "uthread: epoll_wait");
    for (int i = 0; i < n; ++i) {
        Thread* t = static_cast<Thread*>(events[i].data.ptr);
        ::epoll_ctl(s.epoll, EPOLL_CTL_DEL, t->io_fd, nullptr);
        t->io_fd = -1;
        --s.io_waiters;
        s.ready.push(t);
    }
}

// The next thread to run, as uthread.hpp says; nullptr when none ever can
// (all ended, or a deadlock).
Thread* pick_next(Scheduler& s) {
    for (;;) {
        if (!s.sleepers.empty()) wake_due_sleepers(s);
        if (s.io_waiters) poll_io(s, 0);
        if (Thread* t = s.ready.pop()) return t;
        if (s.sleepers.empty() && s.io_waiters == 0) return nullptr;
        int timeout = -1;
        if (!s.sleepers.empty()) {
            const auto left = std::get<0>(*s.sleepers.begin()) - Clock::now();
            // Rounded up: waking early would only wait again.
            timeout = int(
                std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
        }
        poll_io(s, timeout);
    }
}

// The running thread has queued or blocked itself: the next one runs.
void reschedule(Scheduler& s) {
    Thread* self = s.current;
    Thread* next = pick_next(s);
    if (next == self) {
        self->state = Thread::State::Running;
        return;
    }
    if (!next) {
        // A deadlock: run() finds it and destroys this thread from there.
        self->context.switch_to(*s.main);
        return;
    }
    s.current = next;
    next->state = Thread::State::Running;
    self->context.switch_to(next->context);
}

void block(Scheduler& s, Thread::State why) {
    s.current->state = why;
    reschedule(s);
}

// The end of a thread: wake its joiners, then the next thread runs (the
// returned context, whose switch frees this thread's stack).
Context& finish(Thread* t) {
    Scheduler& s = *g;
    t->state = Thread::State::Ended;
    --s.live;
    for (Thread* j : t->joiners) s.ready.push(j);
    t->joiners.clear();
    Thread* next = pick_next(s);
    if (!next) return *s.main;
    s.current = next;
    next->state = Thread::State::Running;
    return next->context;
}

// Where every thread starts (on its own stack) and ends.
Context& thread_body(Thread* t) {
    try {
        t->function();
    } catch (ThreadExit&) {
    }
    return finish(t);
}

}  // namespace

void run(std::function<void()> main) {
    if (g) throw std::logic_error("uthread::run: already running");
    Scheduler s;
    Context here;
    s.main = &here;
    s.epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (s.epoll < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    g = &s;
    std::vector<Id> blocked;
    try {
        create(std::move(main));
        s.current = s.ready.pop();
        s.current->state = Thread::State::Running;
        here.switch_to(s.current->context);
        for (const auto& t : s.threads)
            if (t->state != Thread::State::Ended) blocked.push_back(t->id);
        // Destroying a blocked thread unwinds its stack.
        s.threads.clear();
    } catch (...) {
        g = nullptr;
        ::close(s.epoll);
        throw;
    }
    g = nullptr;
    ::close(s.epoll);
    if (!blocked.empty()) throw Deadlock(std::move(blocked));
}

Id create(std::function<void()> function) {
    Scheduler& s = sched();
    const Id id = Id(s.threads.size());
    s.threads.push_back(std::make_unique<Thread>(id, std::move(function)));
    Thread* t = s.threads.back().get();
    ++s.live;
    s.ready.push(t);
    return id;
}

Id self() {
    return sched().current->id;
}

void yield() {
    Scheduler& s = sched();
    Thread* self = s.current;
    // The common case, kept short (it is the switch the lab measures):
    // nobody sleeps or waits for I/O, so the next thread is the queue's head.
    if (s.sleepers.empty() && s.io_waiters == 0) {
        Thread* next = s.ready.pop();
        if (!next) return;
        s.ready.push(self);
        s.current = next;
        next->state = Thread::State::Running;
        self->context.switch_to(next->context);
        return;
    }
    s.ready.push(self);
    reschedule(s);
}

void exit() {
    sched();
    throw ThreadExit{};
}

void join(Id id) {
    Scheduler& s = sched();
    if (id < 0 || size_t(id) >= s.threads.size())
        throw std::invalid_argument("uthread::join: no thread " + std::to_string(id));
    Thread* t = s.threads[size_t(id)].get();
    if (t == s.current) throw std::logic_error("uthread::join: a thread cannot join itself");
    // Not runnable: it has finished.
    if (t->state != Thread::State::Ready && t->state != Thread::State::Running) return;
    t->joiners.push_back(s.current);
    block(s, Thread::State::Blocked);
}

void sleep_for(int64_t ms) {
    Scheduler& s = sched();
    if (ms <= 0) return yield();
    s.sleepers.emplace(Clock::now() + std::chrono::milliseconds(ms), s.sleep_calls++, s.current);
    block(s, Thread::State::Sleeping);
}

void wait_fd(int fd, uint32_t events) {
    Scheduler& s = sched();
    for (const auto& t : s.threads)
        if (t->io_fd == fd)
            throw std::logic_error("uthread::wait_fd: another thread waits on fd " +
                                   std::to_string(fd));
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = s.current;
    if (::epoll_ctl(s.epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
        // A regular file is always ready (epoll refuses it): nothing to wait for.
        if (errno == EPERM) return;
        throw std::system_error(errno, std::generic_category(), "uthread::wait_fd: epoll_ctl");
    }
    s.current->io_fd = fd;
    ++s.io_waiters;
    block(s, Thread::State::WaitingIo);
}

void Mutex::lock() {
    Scheduler& s = sched();
    if (owner_ == s.current) throw std::logic_error("uthread::Mutex::lock: already owned");
    if (!owner_) {
        owner_ = s.current;
        return;
    }
    waiters_.push_back(s.current);
    block(s, Thread::State::Blocked);  // unlock() made us the owner
}

void Mutex::unlock() {
    Scheduler& s = sched();
    if (owner_ != s.current) throw std::logic_error("uthread::Mutex::unlock: not the owner");
    if (waiters_.empty()) {
        owner_ = nullptr;
        return;
    }
    owner_ = waiters_.front();
    waiters_.pop_front();
    s.ready.push(owner_);
}

bool Mutex::try_lock() {
    Scheduler& s = sched();
    if (owner_) return false;
    owner_ = s.current;
    return true;
}

void CondVar::wait(Mutex& m) {
    Scheduler& s = sched();
    if (m.owner_ != s.current) throw std::logic_error("uthread::CondVar::wait: mutex not owned");
    m.unlock();
    waiters_.push_back(s.current);
    block(s, Thread::State::Blocked);
    m.lock();
}

void CondVar::signal() {
    Scheduler& s = sched();
    if (waiters_.empty()) return;
    s.ready.push(waiters_.front());
    waiters_.pop_front();
}

void CondVar::broadcast() {
    Scheduler& s = sched();
    for (Thread* t : waiters_) s.ready.push(t);
    waiters_.clear();
}

}  // namespace uthread
